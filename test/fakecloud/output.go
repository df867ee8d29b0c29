package main

import (
	"encoding/json"
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"
)

// out prints docs as --format (value(...), json or none) and --flatten say.
func out(c call, docs ...any) {
	format := c.flag("--format")
	if fl := c.flag("--flatten"); fl != "" {
		var flat []any
		for _, d := range docs {
			flat = append(flat, flatten(d, strings.Split(strings.ReplaceAll(fl, "[]", ""), "."))...)
		}
		docs = flat
	}
	if f := c.flag("--filter"); f != "" {
		k, v, _ := strings.Cut(f, "=")
		v = strings.Trim(v, `"`)
		// Resource filters compare strings without case (gcloud topic filters).
		docs = slices.DeleteFunc(docs, func(d any) bool { return !strings.EqualFold(str(lookup(d, k)), v) })
	}
	if n, err := strconv.Atoi(c.flag("--limit")); err == nil && n < len(docs) {
		docs = docs[:n]
	}
	switch {
	case format == "none":
	case strings.HasPrefix(format, "value("):
		keys := strings.Split(strings.TrimSuffix(strings.TrimPrefix(format, "value("), ")"), ",")
		for _, d := range docs {
			var cols []string
			for _, k := range keys {
				cols = append(cols, str(lookup(d, strings.TrimSpace(k))))
			}
			fmt.Println(strings.Join(cols, "\t"))
		}
	default:
		b, _ := json.MarshalIndent(docs, "", "  ")
		fmt.Println(string(b))
	}
}

// flatten makes one document per element of the list at path (gcloud's
// --flatten, core/resource/resource_projector.py).
func flatten(doc any, path []string) []any {
	m, ok := doc.(map[string]any)
	if !ok || len(path) == 0 {
		return []any{doc}
	}
	var elems []any
	switch v := m[path[0]].(type) {
	case []any:
		elems = v
	case nil:
		return nil
	default:
		elems = []any{v}
	}
	var out []any
	for _, e := range elems {
		for _, sub := range flatten(e, path[1:]) {
			cp := map[string]any{}
			for k, v := range m {
				cp[k] = v
			}
			cp[path[0]] = sub
			out = append(out, cp)
		}
	}
	return out
}

func lookup(doc any, key string) any {
	for _, part := range strings.Split(key, ".") {
		m, ok := doc.(map[string]any)
		if !ok {
			return nil
		}
		doc = m[part]
	}
	return doc
}

// str formats a value as gcloud's value() does: lists joined by ';'.
func str(v any) string {
	switch v := v.(type) {
	case nil:
		return ""
	case string:
		return v
	case []any:
		var parts []string
		for _, e := range v {
			parts = append(parts, str(e))
		}
		return strings.Join(parts, ";")
	default:
		return fmt.Sprint(v)
	}
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

func toAny(s []string) []any {
	out := make([]any, len(s))
	for i, v := range s {
		out[i] = v
	}
	return out
}

func toAnyMap(m map[string]string) map[string]any {
	out := map[string]any{}
	for k, v := range m {
		out[k] = v
	}
	return out
}
