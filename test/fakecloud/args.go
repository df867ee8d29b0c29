package main

import (
	"slices"
	"strings"
)

// call is one command line: its positional words and its flags (a flag
// given more than once keeps every value).
type call struct {
	pos   []string
	flags map[string][]string
}

// boolFlags take no value.
var boolFlags = map[string]bool{"--enabled": true, "--no-traffic": true, "--allow-unauthenticated": true,
	"--gen2": true, "--retry": true, "--json": true, "--non-interactive": true, "--quiet": true, "--enable-ttl": true,
	"--force": true}

func parse(args []string) call {
	c := call{flags: map[string][]string{}}
	for i := 0; i < len(args); i++ {
		a := args[i]
		switch {
		case strings.HasPrefix(a, "--") && strings.Contains(a, "="):
			k, v, _ := strings.Cut(a, "=")
			c.flags[k] = append(c.flags[k], v)
		case strings.HasPrefix(a, "-") && len(a) > 1 && (boolFlags[a] || i+1 == len(args)):
			c.flags[a] = append(c.flags[a], "")
		case strings.HasPrefix(a, "-") && len(a) > 1:
			c.flags[a] = append(c.flags[a], args[i+1])
			i++
		default:
			c.pos = append(c.pos, a)
		}
	}
	return c
}

func words(args []string) []string {
	var w []string
	for _, a := range args {
		if strings.HasPrefix(a, "-") {
			break
		}
		w = append(w, a)
	}
	if len(w) > 3 {
		w = w[:3]
	}
	return w
}

func (c call) flag(name string) string {
	if v := c.flags[name]; len(v) > 0 {
		return v[len(v)-1]
	}
	return ""
}

func (c call) has(name string) bool { return len(c.flags[name]) > 0 }

func (c call) is(prefix ...string) bool {
	return len(c.pos) >= len(prefix) && slices.Equal(c.pos[:len(prefix)], prefix)
}

func (c call) arg(i int) string {
	if i < len(c.pos) {
		return c.pos[i]
	}
	fail("missing argument")
	return ""
}
