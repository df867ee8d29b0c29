package importer

import (
	"encoding/json"
	"fmt"
	"io"
	"strconv"
)

// Geocodes maps a row id to coordinates found for it elsewhere.
type Geocodes map[string][2]float64

// ParseGeocodes reads a geocoding export: {"events": {"<row id>": {"fields":
// {"geocoding": {"mapValue": {"fields": {"lat": {"doubleValue": …}, "lng": …}}}}}}}
// — Firestore's REST document shape, as the organisers' geocoding job
// writes it. Entries whose lookup failed (no coordinates) are skipped.
func ParseGeocodes(r io.Reader) (Geocodes, error) {
	type value struct {
		DoubleValue  *float64 `json:"doubleValue"`
		IntegerValue string   `json:"integerValue"`
		MapValue     *struct {
			Fields map[string]value `json:"fields"`
		} `json:"mapValue"`
	}
	var doc struct {
		Events map[string]struct {
			Fields map[string]value `json:"fields"`
		} `json:"events"`
	}
	dec := json.NewDecoder(r)
	if err := dec.Decode(&doc); err != nil {
		return nil, fmt.Errorf("geocodes: %w", err)
	}
	if err := endOfJSON(dec); err != nil {
		return nil, fmt.Errorf("geocodes: %w", err)
	}
	num := func(v value) (float64, bool) {
		if v.DoubleValue != nil {
			return *v.DoubleValue, true
		}
		f, err := strconv.ParseFloat(v.IntegerValue, 64)
		return f, err == nil
	}
	out := Geocodes{}
	for id, ev := range doc.Events {
		g, ok := ev.Fields["geocoding"]
		if !ok || g.MapValue == nil {
			continue
		}
		lat, ok1 := num(g.MapValue.Fields["lat"])
		lng, ok2 := num(g.MapValue.Fields["lng"])
		if ok1 && ok2 {
			out[id] = [2]float64{lat, lng}
		}
	}
	return out, nil
}

// ApplyGeocodes gives rows without coordinates the ones found for their id,
// and returns how many rows it completed. The coordinates then go through
// the same checks as coordinates in the file.
func (in *Input) ApplyGeocodes(g Geocodes) int {
	n := 0
	for i := range in.Rows {
		r := &in.Rows[i]
		c, ok := g[r.ID]
		if !ok || r.ID == "" || r.Lat != "" || r.Lng != "" {
			continue
		}
		r.Lat = strconv.FormatFloat(c[0], 'f', -1, 64)
		r.Lng = strconv.FormatFloat(c[1], 'f', -1, 64)
		if r.present != nil {
			// Rows of one file may share their column set: copy before marking.
			present := make(map[field]bool, len(r.present)+2)
			for f, v := range r.present {
				present[f] = v
			}
			present[fLat], present[fLng] = true, true
			r.present = present
		}
		n++
	}
	return n
}
