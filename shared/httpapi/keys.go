package httpapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"reflect"
	"strconv"
	"strings"
	"sync"

	"github.com/partyfinder/partyfinder/shared/apperr"
)

// MaxDepth is how deeply a request body may nest arrays and objects. No
// request of ours nests deeper than four levels; a body nested deeper than
// this is refused before anything else reads it, so the cost of reading a
// body stays linear in its size whatever its shape.
const MaxDepth = 32

// checkKeys walks a JSON document against the Go type it is decoded into
// and refuses what encoding/json would let through silently: a key that
// matches a field only when case is ignored ({"PARTYID": …} for
// "partyId"), and a key given twice in one object (the last one would
// win, so two readers of one body could disagree). Names are exact, as the
// contract spells them. It also refuses a body nested deeper than
// MaxDepth.
func checkKeys(data []byte, t reflect.Type) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	w := walker{dec: dec}
	err := w.value(t)
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return nil // malformed JSON: the decoder that follows says where
	}
	var syn *json.SyntaxError
	if errors.As(err, &syn) {
		return nil
	}
	return err
}

// walker reads one document token by token. It keeps where it is as a
// stack of keys and indexes and spells that path out only for the error
// it reports: building a path string at every level would cost memory
// with the square of the depth.
type walker struct {
	dec  *json.Decoder
	path []step
}

// step is one level of the path: an object's key, or an array's index
// when key is unset.
type step struct {
	key   string
	index int
	isKey bool
}

// at spells the path to the current value, with name as its last key.
func (w *walker) at(name string) string {
	var b strings.Builder
	for _, s := range w.path {
		if s.isKey {
			if b.Len() > 0 {
				b.WriteByte('.')
			}
			b.WriteString(s.key)
		} else {
			b.WriteByte('[')
			b.WriteString(strconv.Itoa(s.index))
			b.WriteByte(']')
		}
	}
	if b.Len() > 0 {
		b.WriteByte('.')
	}
	b.WriteString(name)
	return b.String()
}

// value reads one value; t is its Go type (nil: anything, checked only
// for duplicate keys).
func (w *walker) value(t reflect.Type) error {
	tok, err := w.dec.Token()
	if err != nil {
		return err
	}
	for t != nil && t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	d, ok := tok.(json.Delim)
	if !ok {
		return nil
	}
	if len(w.path) >= MaxDepth {
		return apperr.Field("body", "depth", fmt.Sprintf("nests arrays and objects deeper than %d levels", MaxDepth))
	}
	switch d {
	case '[':
		var elem reflect.Type
		if t != nil && (t.Kind() == reflect.Slice || t.Kind() == reflect.Array) {
			elem = t.Elem()
		}
		w.path = append(w.path, step{})
		for i := 0; w.dec.More(); i++ {
			w.path[len(w.path)-1].index = i
			if err := w.value(elem); err != nil {
				return err
			}
		}
		w.path = w.path[:len(w.path)-1]
		_, err := w.dec.Token() // ]
		return err
	case '{':
		var fields map[string]reflect.Type
		var elem reflect.Type
		switch {
		case t != nil && t.Kind() == reflect.Struct:
			fields = jsonFields(t)
		case t != nil && t.Kind() == reflect.Map:
			elem = t.Elem()
		}
		seen := map[string]bool{}
		for w.dec.More() {
			tok, err := w.dec.Token()
			if err != nil {
				return err
			}
			key, _ := tok.(string)
			if seen[key] {
				return apperr.Field(w.at(key), "conflict", "appears twice in one object")
			}
			seen[key] = true
			vt := elem
			if fields != nil {
				ft, ok := fields[key]
				if !ok {
					return apperr.Field(w.at(key), "unknown", "is not a field that can be set (names are case-sensitive)")
				}
				vt = ft
			}
			w.path = append(w.path, step{key: key, isKey: true})
			err = w.value(vt)
			w.path = w.path[:len(w.path)-1]
			if err != nil {
				return err
			}
		}
		_, err := w.dec.Token() // }
		return err
	}
	return nil
}

// jsonFields maps a struct's JSON names to their types, embedded structs'
// fields included, as encoding/json sees them.
func jsonFields(t reflect.Type) map[string]reflect.Type {
	if m, ok := fieldCache.Load(t); ok {
		return m.(map[string]reflect.Type)
	}
	m := map[string]reflect.Type{}
	for i := range t.NumField() {
		f := t.Field(i)
		tag := f.Tag.Get("json")
		name, _, _ := strings.Cut(tag, ",")
		if name == "-" || !f.IsExported() && !f.Anonymous {
			continue
		}
		ft := f.Type
		if f.Anonymous && tag == "" {
			for ft.Kind() == reflect.Pointer {
				ft = ft.Elem()
			}
			if ft.Kind() == reflect.Struct {
				for k, v := range jsonFields(ft) {
					m[k] = v
				}
				continue
			}
		}
		if name == "" {
			name = f.Name
		}
		m[name] = ft
	}
	fieldCache.Store(t, m)
	return m
}

var fieldCache sync.Map // reflect.Type -> map[string]reflect.Type
