package main

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// coldFunctionsReport is what a coldstart -functions run found.
type coldFunctionsReport struct {
	Cells       []*fnCell
	Shared      fnBinary
	Alone       []fnBinary
	Timed       fnBinary
	Config      coldConfig
	Published   int
	OwnEmulator bool
	Machine     machine
	LoadStart   string
}

func coldFunctionsMarkdown(r coldFunctionsReport) string {
	var b strings.Builder
	m := r.Machine
	fmt.Fprintf(&b, "## Cold start of the %s function, built alone and shared\n\n", r.Config.functions)
	fmt.Fprintf(&b, "- Date: %s\n", m.DateUTC)
	fmt.Fprintf(&b, "- Machine: %d CPUs (%s), %s memory, %s, %s; load average %s at the start, %s at the end\n",
		m.CPUs, m.CPUModel, m.Memory, m.Kernel, m.GoVersion, r.LoadStart, m.LoadEnd)
	fmt.Fprintf(&b, "- Code: %s\n", m.Commit)
	emulator := "the bench's own Firestore emulator"
	if !r.OwnEmulator {
		emulator = "the Firestore emulator at FIRESTORE_EMULATOR_HOST"
	}
	fmt.Fprintf(&b, "- Method: `go run ./scripts/bench coldstart -functions %s`; each binary spawned unpinned with "+
		"`FUNCTION_TARGET=%s LOCAL_ONLY=true PORT=…`, and `GET /api/parties?conference=%s&limit=500` with "+
		"`Accept-Encoding: gzip` polled every 1 ms on a new connection until a 200, checked to be the full gzip feed "+
		"(%d published of %d parties). Time: from just before the spawn to the answer's last byte read. On %s "+
		"(project %s) the prebuilt snapshot was made before any start, as the InvalidateCache trigger makes it, and each "+
		"start is checked to have loaded it without writing it again; SQLite is a fresh file with the same parties. "+
		"Per store: the first start of each binary, shared then alone (Firestore only: its runs come first, "+
		"so the shared binary's first start is also the first of any server against the emulator), one discarded start of each, "+
		"then %d rounds of one start of each in turn, shared then alone.\n\n",
		r.Config.functions, r.Config.functions, benchConference, r.Published, benchParties, emulator, r.Config.project, r.Config.starts)
	if len(r.Config.env) > 0 {
		fmt.Fprintf(&b, "- Extra environment: `%s`\n\n", strings.Join(r.Config.env, " "))
	}

	fmt.Fprintf(&b, "| Binary | Size (bytes) | Store | Median (min–max) | First start on Firestore |\n|---|--:|---|--:|--:|\n")
	for _, c := range r.Cells {
		med, lo, hi := spread(totals(c.Runs))
		first := "—"
		if c.First != nil {
			first = ms(c.First.Total)
		}
		fmt.Fprintf(&b, "| %s | %s | %s | %s (%s–%s) | %s |\n", c.Binary.label(), commas(c.Binary.Size), c.Store,
			ms(med), msShort(lo), msShort(hi), first)
	}

	fmt.Fprintf(&b, "\n### Each function built alone against the shared binary (%s bytes)\n\n", commas(r.Shared.Size))
	fmt.Fprintf(&b, "| Function | Size (bytes) | Reduction | Cloud Storage, gRPC xDS, envoy |\n|---|--:|--:|---|\n")
	row := func(name string, x fnBinary) {
		fmt.Fprintf(&b, "| %s | %s | %s | %s |\n", name, commas(x.Size), reduction(r.Shared.Size, x.Size), unwantedCell(x.Unwanted))
	}
	row("shared binary", r.Shared)
	for _, x := range r.Alone {
		row("`"+x.Name+"`", x)
	}
	fmt.Fprintf(&b, "\nChecked with `go version -m` (modules) and `go tool nm` (every symbol's package) for %s.\n",
		strings.Join(unwanted, ", "))

	fmt.Fprintf(&b, "\n### What the %s function's text is, by module (`go tool nm -size`, T and t symbols)\n\n", r.Timed.Name)
	fmt.Fprintf(&b, "| Module | Alone | Shared |\n|---|--:|--:|\n")
	var aloneText, sharedText int64
	for _, v := range r.Timed.Text {
		aloneText += v
	}
	for _, v := range r.Shared.Text {
		sharedText += v
	}
	for _, k := range topKeys(r.Timed.Text, 8) {
		fmt.Fprintf(&b, "| %s | %s | %s |\n", k, commas(r.Timed.Text[k]), commas(r.Shared.Text[k]))
	}
	fmt.Fprintf(&b, "| all text | %s | %s |\n", commas(aloneText), commas(sharedText))
	fmt.Fprintf(&b, "\n| Package | Alone |\n|---|--:|\n")
	for _, k := range topKeys(r.Timed.TextPkg, 8) {
		fmt.Fprintf(&b, "| %s | %s |\n", k, commas(r.Timed.TextPkg[k]))
	}
	return b.String()
}

// topKeys returns the n keys of the largest values, largest first.
func topKeys(m map[string]int64, n int) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, func(a, b string) int {
		if m[a] != m[b] {
			if m[a] > m[b] {
				return -1
			}
			return 1
		}
		return strings.Compare(a, b)
	})
	return keys[:min(n, len(keys))]
}

func reduction(from, to int64) string {
	if from == 0 {
		return "?"
	}
	return fmt.Sprintf("%.1f %%", 100*float64(from-to)/float64(from))
}

func unwantedCell(found []string) string {
	if len(found) == 0 {
		return "none"
	}
	return strings.Join(found, ", ")
}

// commas writes n with thousands separators, as the neighbouring tables
// of docs/PERFORMANCE.md do.
func commas(n int64) string {
	s := strconv.FormatInt(n, 10)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	if neg {
		return "-" + b.String()
	}
	return b.String()
}
