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

// cpuTimes reads the machine-wide busy and total jiffies from /proc/stat.
func cpuTimes() (busy, total uint64, err error) {
	b, err := os.ReadFile("/proc/stat")
	if err != nil {
		return 0, 0, err
	}
	line, _, _ := strings.Cut(string(b), "\n")
	fields := strings.Fields(line)
	if len(fields) < 5 || fields[0] != "cpu" {
		return 0, 0, fmt.Errorf("/proc/stat: unexpected first line %q", line)
	}
	for i, f := range fields[1:] {
		n, err := strconv.ParseUint(f, 10, 64)
		if err != nil {
			return 0, 0, fmt.Errorf("/proc/stat: %w", err)
		}
		total += n
		if i != 3 && i != 4 { // idle and iowait
			busy += n
		}
	}
	return busy, total, nil
}

// cpuBusy returns the share of all CPUs that was busy during d; -1 when
// /proc/stat cannot be read.
func cpuBusy(d time.Duration) float64 {
	b0, t0, err := cpuTimes()
	if err != nil {
		return -1
	}
	time.Sleep(d)
	b1, t1, err := cpuTimes()
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
