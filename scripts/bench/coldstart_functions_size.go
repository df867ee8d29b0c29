package main

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"time"
)

// measureBinary fills in b's size, the unwanted packages it links and its
// text bytes by module and package.
func measureBinary(ctx context.Context, b *fnBinary) error {
	st, err := os.Stat(b.Path)
	if err != nil {
		return err
	}
	b.Size = st.Size()
	mods := moduleList(ctx, b.Path)
	if len(mods) == 0 {
		return fmt.Errorf("go version -m %s: no modules", b.Path)
	}
	nm, err := exec.CommandContext(ctx, "go", "tool", "nm", "-size", b.Path).Output()
	if err != nil {
		return fmt.Errorf("go tool nm -size %s: %w", b.Path, err)
	}
	found := map[string]bool{}
	for _, m := range mods {
		for _, u := range unwanted {
			if strings.HasPrefix(m+"/", u) || strings.HasPrefix(m, u) {
				found[m+" (module)"] = true
			}
		}
	}
	b.Text, b.TextPkg = map[string]int64{}, map[string]int64{}
	sc := bufio.NewScanner(bytes.NewReader(nm))
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		sym, size, kind, ok := parseNMLine(sc.Text())
		if !ok {
			continue
		}
		pkg := symbolPackage(sym)
		for _, u := range unwanted {
			if pkg != "" && (strings.HasPrefix(pkg+"/", u) || strings.HasPrefix(pkg, u)) {
				found[pkg] = true
			}
		}
		if kind != 'T' && kind != 't' {
			continue
		}
		b.Text[moduleOf(pkg, mods)] += size
		if pkg == "" {
			pkg = "(runtime tables)"
		}
		b.TextPkg[pkg] += size
	}
	if err := sc.Err(); err != nil {
		return err
	}
	for k := range found {
		b.Unwanted = append(b.Unwanted, k)
	}
	slices.Sort(b.Unwanted)
	return nil
}

// parseNMLine reads one line of `go tool nm -size`: address, size, kind
// and name, the address missing for undefined symbols.
func parseNMLine(line string) (sym string, size int64, kind byte, ok bool) {
	f := strings.Fields(line)
	if len(f) >= 4 && len(f[2]) == 1 { // address size kind name
		f = f[1:]
	}
	if len(f) < 3 || len(f[1]) != 1 {
		return "", 0, 0, false
	}
	n, err := strconv.ParseInt(f[0], 10, 64)
	if err != nil {
		return "", 0, 0, false
	}
	return strings.Join(f[2:], " "), n, f[1][0], true
}

// symbolPackage returns the import path of the package a linker symbol
// belongs to ("" for the linker's own, go:…, and generated functions of
// unnamed types): what comes
// before the first dot after the last slash, with the type: prefixes of
// generated equality and hash functions and the type arguments of
// generic instances left out.
func symbolPackage(sym string) string {
	for _, p := range []string{"type:.eq.", "type:.hash.", "type:"} {
		if s, ok := strings.CutPrefix(sym, p); ok {
			sym = strings.TrimLeft(s, "*[]")
			break
		}
	}
	if strings.HasPrefix(sym, "go:") {
		return ""
	}
	if p, ok := strings.CutSuffix(sym, "(.text)"); ok { // a package's assembly or C, as one symbol
		return p
	}
	if i := strings.IndexAny(sym, "[("); i >= 0 {
		sym = sym[:i]
	}
	slash := strings.LastIndexByte(sym, '/')
	dot := strings.IndexByte(sym[slash+1:], '.')
	if dot < 0 {
		return ""
	}
	return strings.TrimSuffix(sym[:slash+1+dot], ".")
}

// functionStartOnce starts a functions binary on a free loopback port
// with env and times it to the first full feed, as coldStartOnce does
// the runner.
func functionStartOnce(ctx context.Context, root, bin string, env []string, published int, settle time.Duration, verify func(context.Context) error) (coldRun, error) {
	addr, err := freeAddr()
	if err != nil {
		return coldRun{}, err
	}
	_, port, _ := strings.Cut(addr, ":")
	return spawnAndPoll(ctx, root, []string{bin}, append(slices.Clone(env), "PORT="+port), addr, published, settle, verify)
}
