package main

import (
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"time"
)

// The machine is shared with builds and test runs of other work, and on two
// cores any of them moves the numbers. Before each shape the benchmark
// waits (a bounded time) for the machine to be quiet, and reports how busy
// it was, so a noisy number can be told from a slow server.
const (
	quietBusy = 0.15             // machine-wide busy share below which we measure
	quietWait = 60 * time.Second // longest wait before measuring anyway
)

// cpuTimes reads the busy and total clock ticks of one CPU ("cpu0") or of
// the whole machine ("cpu") from /proc/stat. Busy is user, nice, system and
// steal time: interrupt and softirq time is left out because on loopback
// much of it is the kernel moving our own benchmark's packets, which no
// process is charged for.
func cpuTimes(name string) (busy, total uint64, err error) {
	b, err := os.ReadFile("/proc/stat")
	if err != nil {
		return 0, 0, err
	}
	var fields []string
	for _, line := range strings.Split(string(b), "\n") {
		if f := strings.Fields(line); len(f) > 5 && f[0] == name {
			fields = f
			break
		}
	}
	if fields == nil {
		return 0, 0, fmt.Errorf("/proc/stat: no %s line", name)
	}
	// user nice system idle iowait irq softirq steal [guest guest_nice, already in user]
	for i, f := range fields[1:min(len(fields), 9)] {
		n, err := strconv.ParseUint(f, 10, 64)
		if err != nil {
			return 0, 0, fmt.Errorf("/proc/stat: %w", err)
		}
		total += n
		if i <= 2 || i == 7 {
			busy += n
		}
	}
	return busy, total, nil
}

// cpuBusy returns the share of all CPUs that was busy during d; -1 when
// /proc/stat cannot be read.
func cpuBusy(d time.Duration) float64 {
	b0, t0, err := cpuTimes("cpu")
	if err != nil {
		return -1
	}
	time.Sleep(d)
	b1, t1, err := cpuTimes("cpu")
	if err != nil || t1 == t0 {
		return -1
	}
	return float64(b1-b0) / float64(t1-t0)
}

// waitQuiet waits until the machine, with our servers idle, is less than
// quietBusy busy, or quietWait has passed, and returns the last busy share.
func waitQuiet(w io.Writer, what string) float64 {
	deadline := time.Now().Add(quietWait)
	for {
		busy := cpuBusy(time.Second)
		if busy < quietBusy || time.Now().After(deadline) {
			if busy >= quietBusy {
				step(w, "%s: the machine is still %.0f%% busy with other work; measuring anyway", what, busy*100)
			}
			return busy
		}
		step(w, "%s: waiting for other work to finish (machine %.0f%% busy)", what, busy*100)
	}
}

// loadAverage returns /proc/loadavg's first three fields.
func loadAverage() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "unknown"
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return "unknown"
	}
	return strings.Join(f[:3], " ")
}

// processTicks returns the user and system clock ticks a process has used,
// from /proc/PID/stat (fields 14 and 15, counted after the command name,
// which may itself hold spaces).
func processTicks(pid int) (uint64, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, err
	}
	i := strings.LastIndexByte(string(b), ')')
	f := strings.Fields(string(b[i+1:]))
	if i < 0 || len(f) < 13 {
		return 0, fmt.Errorf("/proc/%d/stat: unexpected format", pid)
	}
	utime, err1 := strconv.ParseUint(f[11], 10, 64)
	stime, err2 := strconv.ParseUint(f[12], 10, 64)
	if err1 != nil || err2 != nil {
		return 0, fmt.Errorf("/proc/%d/stat: unexpected format", pid)
	}
	return utime + stime, nil
}

// clockTick is the unit of /proc's CPU times (USER_HZ), 100 per second on
// every Linux this runs on.
const clockTick = 10 * time.Millisecond

// cpuMeter measures, over one run, the CPU time the server process used and
// what else ran on the server's CPU: that CPU's busy ticks less the
// server's own, as a share of the CPU's time. The second is only
// meaningful when the server is pinned to that CPU.
type cpuMeter struct {
	cpu           string // "cpu0"; "" when the server is not pinned
	pid           int
	busy0, total0 uint64
	proc0         uint64
	procOK        bool
}

// usage is what a cpuMeter measured.
type usage struct {
	Server time.Duration // CPU time of the server process
	Other  float64       // other work's share of the server's CPU; -1 when unknown
}

func startMeter(cpu string, pid int) *cpuMeter {
	m := &cpuMeter{pid: pid}
	var err error
	m.proc0, err = processTicks(pid)
	m.procOK = err == nil
	if cpu != "" {
		if m.busy0, m.total0, err = cpuTimes("cpu" + cpu); err == nil {
			m.cpu = "cpu" + cpu
		}
	}
	return m
}

// stop returns the usage since start.
func (m *cpuMeter) stop() usage {
	u := usage{Other: -1}
	proc, err := processTicks(m.pid)
	if err != nil || !m.procOK {
		return u
	}
	u.Server = time.Duration(proc-m.proc0) * clockTick
	if m.cpu == "" {
		return u
	}
	busy, total, err := cpuTimes(m.cpu)
	if err != nil || total == m.total0 {
		return u
	}
	other := float64(busy-m.busy0) - float64(proc-m.proc0)
	u.Other = max(0, other/float64(total-m.total0))
	return u
}
