package main

import (
	"fmt"
	"strings"
	"time"
)

// coldReport is one coldstart run's findings.
type coldReport struct {
	Results     []coldResult
	Floor       *floorResult
	Probe       *probeResult
	Config      coldConfig
	Published   int
	OwnEmulator bool
	Machine     machine
	LoadStart   string
}

func coldMarkdown(r coldReport) string {
	var b strings.Builder
	m := r.Machine
	fmt.Fprintf(&b, "## Cold start on the Firestore emulator\n\n")
	fmt.Fprintf(&b, "- Date: %s\n", m.DateUTC)
	fmt.Fprintf(&b, "- Machine: %d CPUs (%s), %s memory, %s, %s; load average %s at the start, %s at the end\n",
		m.CPUs, m.CPUModel, m.Memory, m.Kernel, m.GoVersion, r.LoadStart, m.LoadEnd)
	fmt.Fprintf(&b, "- Code: %s\n", m.Commit)
	emulator := "the bench's own Firestore emulator"
	if !r.OwnEmulator {
		emulator = "the Firestore emulator at FIRESTORE_EMULATOR_HOST"
	}
	fmt.Fprintf(&b, "- Method: `go run ./scripts/bench coldstart`; conference `%s` (%d parties, %d published) written into %s "+
		"(project %s); the real runner binary, `partyfinder serve --store firestore --no-seed`, spawned unpinned, "+
		"and `GET /api/parties?conference=%s&limit=500` with `Accept-Encoding: gzip` polled every 1 ms on a new connection until "+
		"a 200, checked to be the full gzip feed. The time runs from just before the spawn to the answer's last byte read: "+
		"exec, Go runtime and package init, configuration, the Firestore client, listening, the snapshot load (gRPC connect "+
		"to the emulator, or to Redis, the reads and the decode), rendering and gzipping the first page, and sending it. "+
		"Two warm-up starts fill Redis and Firestore with the snapshot through the server's own write-through; then one "+
		"discarded start per setup, then %d rounds of one start per setup in turn; each start is checked to have taken "+
		"its setup's path (Firestore snapshot deleted and written through again; Firestore snapshot untouched; "+
		"Redis read and not written).\n",
		benchConference, benchParties, r.Published, emulator, r.Config.project, benchConference, r.Config.starts)
	if len(r.Config.env) > 0 {
		fmt.Fprintf(&b, "- Extra server environment: `%s`\n", strings.Join(r.Config.env, " "))
	}

	fmt.Fprintf(&b, "\n| Setup | Median | Min | Max | Discarded first | Server CPU | Target ≤ %s |\n|---|--:|--:|--:|--:|--:|---|\n", ms(targetStartup))
	for _, x := range r.Results {
		med, lo, hi := spread(totals(x.Runs))
		cpu := make([]time.Duration, len(x.Runs))
		for i, run := range x.Runs {
			cpu[i] = run.CPU
		}
		medCPU, _, _ := spread(cpu)
		fmt.Fprintf(&b, "| %s | %s | %s | %s | %s | %s | %s |\n", x.Setup.Label, ms(med), ms(lo), ms(hi), ms(x.Discarded.Total),
			ms(medCPU), metMark(med <= targetStartup))
	}
	fmt.Fprintf(&b, "\n\"Server CPU\": the runner's user and system CPU time over its whole life (median), its shutdown included; "+
		"with two CPUs, the garbage collector's workers and the emulator (a JVM on the same machine) run beside it.\n")

	fmt.Fprintf(&b, "\n### Where the time goes\n\nMedians over the measured starts, from the spawn; each line of the runner's output "+
		"is stamped when it reaches the bench through a pipe.\n\n")
	fmt.Fprintf(&b, "| Reached | What came before it |")
	for _, x := range r.Results {
		fmt.Fprintf(&b, " %s |", x.Setup.Name)
	}
	fmt.Fprintf(&b, "\n|---|---|%s\n", strings.Repeat("--:|", len(r.Results)))
	prev := ""
	for _, mk := range coldMarks {
		fmt.Fprintf(&b, "| `%s` line | %s |", mk.prefix, mk.meaning)
		for _, x := range r.Results {
			fmt.Fprintf(&b, " %s |", markCell(x.Runs, mk.key, prev))
		}
		fmt.Fprintf(&b, "\n")
		prev = mk.key
	}
	fmt.Fprintf(&b, "| first 200, last byte | the serve loop started, the request routed, the page rendered (JSON + gzip) and sent |")
	for _, x := range r.Results {
		fmt.Fprintf(&b, " %s |", markCell(x.Runs, "total", prev))
	}
	fmt.Fprintf(&b, "\n| (first TCP connection accepted) | the listener is open: a cross-check of the listening line |")
	for _, x := range r.Results {
		fmt.Fprintf(&b, " %s |", markCell(x.Runs, "connect", ""))
	}
	fmt.Fprintf(&b, "\n\nEach cell: milliseconds from the spawn (and, after +, from the line above).\n")

	if f := r.Floor; f != nil {
		help, _, _ := spread(f.Help)
		cpu, _, _ := spread(f.HelpCPU)
		empty, _, _ := spread(f.Empty)
		sum, _, _ := spread(f.InitSum)
		mainAt, _, _ := spread(f.MainAt)
		fmt.Fprintf(&b, "\n### The process floor\n\n%d runs each, medians, after one discarded run:\n\n", len(f.Help))
		fmt.Fprintf(&b, "- `partyfinder help` (exec, Go runtime and package init, print the usage, exit): %s from spawn to exit "+
			"(min %s, max %s), %s of CPU (user + system).\n", ms(help), ms(minOf(f.Help)), ms(maxOf(f.Help)), ms(cpu))
		fmt.Fprintf(&b, "- An empty Go program, the same way: %s.\n", ms(empty))
		fmt.Fprintf(&b, "- `GODEBUG=inittrace=1 partyfinder help`: %d package inits, together %s of clock time; the last one ends "+
			"%s after the runtime started (main starts then; the runtime's own set-up before that is not in the trace).\n",
			f.Inits, ms(sum), ms(mainAt))
		fmt.Fprintf(&b, "\n| Module | Init clock (median) |\n|---|--:|\n")
		for _, x := range f.Modules[:min(15, len(f.Modules))] {
			fmt.Fprintf(&b, "| %s | %s |\n", x.Name, ms(x.D))
		}
		fmt.Fprintf(&b, "\n| Package | Init clock (median) |\n|---|--:|\n")
		for _, x := range f.Packages[:min(12, len(f.Packages))] {
			fmt.Fprintf(&b, "| %s | %s |\n", x.Name, ms(x.D))
		}
	}

	if p := r.Probe; p != nil {
		fmt.Fprintf(&b, "\n### The parts of a snapshot load, each in a fresh process\n\n"+
			"`bench coldprobe`, %d fresh processes after a discarded one, the product's own packages called in turn "+
			"(the prebuilt snapshot is %s gzipped; the first page %s gzipped, %d parties):\n\n",
			p.N, sizeOf(p.Last.PrebuiltBytes), sizeOf(p.Last.PageBytes), p.Last.Parties)
		fmt.Fprintf(&b, "| Step | Median | Min | Max |\n|---|--:|--:|--:|\n")
		for _, name := range p.Steps {
			med, lo, hi := spread(p.Runs[name])
			fmt.Fprintf(&b, "| %s | %s | %s | %s |\n", name, ms(med), ms(lo), ms(hi))
		}
	}
	return b.String()
}

func totals(runs []coldRun) []time.Duration {
	ds := make([]time.Duration, len(runs))
	for i, r := range runs {
		ds[i] = r.Total
	}
	return ds
}

// markOf returns when a run reached a mark: one of coldMarks' keys,
// "total" or "connect".
func markOf(r coldRun, key string) (time.Duration, bool) {
	switch key {
	case "total":
		return r.Total, true
	case "connect":
		return r.Connect, r.Connect > 0
	}
	d, ok := r.Marks[key]
	return d, ok
}

// markCell is the median time to a mark and the median step from the
// previous one, "?" when runs did not print the mark.
func markCell(runs []coldRun, key, prev string) string {
	var at, step []time.Duration
	for _, r := range runs {
		d, ok := markOf(r, key)
		if !ok {
			continue
		}
		at = append(at, d)
		if prev != "" {
			if p, ok := markOf(r, prev); ok {
				step = append(step, d-p)
			}
		}
	}
	if len(at) == 0 {
		return "?"
	}
	med, _, _ := spread(at)
	s := msShort(med)
	if len(step) > 0 {
		st, _, _ := spread(step)
		s += " (+" + msShort(st) + ")"
	}
	return s
}

func msShort(d time.Duration) string {
	return fmt.Sprintf("%.1f", float64(d)/float64(time.Millisecond))
}

func minOf(ds []time.Duration) time.Duration { _, lo, _ := spread(ds); return lo }
func maxOf(ds []time.Duration) time.Duration { _, _, hi := spread(ds); return hi }
