package importer

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"

	"github.com/partyfinder/partyfinder/shared/apperr"
)

func parseJSON(data []byte, in *Input) (map[string]bool, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var top any
	if err := dec.Decode(&top); err != nil {
		return nil, apperr.New(apperr.Invalid, "the JSON cannot be read: %v", err)
	}
	if err := endOfJSON(dec); err != nil {
		return nil, apperr.New(apperr.Invalid, "%v", err)
	}
	var items []any
	switch t := top.(type) {
	case []any:
		items = t
	case map[string]any:
		for _, k := range []string{"data", "parties", "rows", "events", "items"} {
			if a, ok := t[k].([]any); ok {
				items = a
				break
			}
		}
		if items == nil {
			return nil, apperr.New(apperr.Invalid, `the JSON object has no "data" array of rows`)
		}
	default:
		return nil, apperr.New(apperr.Invalid, `the JSON must be an array of rows or {"data": [...]}`)
	}
	if len(items) > MaxRows {
		return nil, apperr.New(apperr.Invalid, "the file has more than %d rows", MaxRows)
	}
	unknown := map[string]bool{}
	for i, it := range items {
		row := Row{Num: i + 1, Layout: Sheet}
		obj, ok := it.(map[string]any)
		if !ok {
			row.Problems = append(row.Problems, fmt.Sprintf("the row is a JSON %s, not an object", jsonKind(it)))
			in.Rows = append(in.Rows, row)
			continue
		}
		s := setter{row: &row, unknown: unknown, keys: map[field]bool{}}
		// Sorted keys make the first-non-empty rule deterministic.
		keys := make([]string, 0, len(obj))
		for k := range obj {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			setJSON(&s, k, obj[k])
		}
		s.finish()
		in.Rows = append(in.Rows, row)
	}
	return unknown, nil
}

// endOfJSON fails when anything but white space follows the document dec
// has read: a second document, or text after it. Such a file is broken or
// was put together by mistake, and importing only its first part would
// lose the rest without a word.
func endOfJSON(dec *json.Decoder) error {
	off := dec.InputOffset()
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return fmt.Errorf("the file has more data after the JSON document (at byte %d); give one array of rows or one {\"data\": [...]} object", off)
	}
	return nil
}

// setJSON fills one field from a JSON value of any type.
func setJSON(s *setter, key string, v any) {
	fl := columns[columnKey(key)]
	switch t := v.(type) {
	case nil:
		s.set(key, "")
	case string:
		s.set(key, t)
	case json.Number:
		s.set(key, t.String())
	case bool:
		s.set(key, strconv.FormatBool(t))
	case []any:
		list := make([]string, 0, len(t))
		for _, e := range t {
			if str, ok := scalar(e); ok {
				list = append(list, str)
			}
		}
		switch fl {
		case fHosts:
			s.keys[fHosts] = true
			s.row.HostList = append(s.row.HostList, list...)
		case fTags:
			s.keys[fTags] = true
			s.row.TagList = append(s.row.TagList, list...)
		default:
			s.set(key, strings.Join(list, ", "))
		}
	case map[string]any:
		switch fl {
		case fCategory: // {"key": "exec-social", "label": "Exec Social"}
			label, _ := scalar(t["label"])
			if label == "" {
				label, _ = scalar(t["key"])
			}
			s.set(key, label)
		case fLocation: // {"lat": 50.9, "lng": 6.9}
			s.keys[fLocation] = true
			for k, e := range t {
				if str, ok := scalar(e); ok {
					switch columns[columnKey(k)] {
					case fLat:
						s.set("lat", str)
					case fLng:
						s.set("lng", str)
					}
				}
			}
		case fNone:
			s.set(key, "") // records the unknown column
		case fIgnore:
		default:
			s.row.notes = append(s.row.notes, issuef(codeReading, key, "ignored an object where text was expected"))
		}
	}
}

func scalar(v any) (string, bool) {
	switch t := v.(type) {
	case string:
		return t, true
	case json.Number:
		return t.String(), true
	case bool:
		return strconv.FormatBool(t), true
	}
	return "", false
}

func jsonKind(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case string:
		return "string"
	case json.Number:
		return "number"
	case bool:
		return "boolean"
	case []any:
		return "array"
	}
	return "value"
}
