package main

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"testing"

	"github.com/partyfinder/partyfinder/functions/parties"
	"github.com/partyfinder/partyfinder/shared/party"
)

// handlerCost is what one answer costs the handlers alone, without the
// network, the kernel or net/http's connection handling: the part of the
// server's CPU time per request that the feed's own code decides.
type handlerCost struct {
	Name        string
	NsPerOp     int64
	BytesPerOp  int64
	AllocsPerOp int64
}

// discardWriter is a ResponseWriter that keeps nothing but the status.
type discardWriter struct {
	h      http.Header
	status int
}

func (d *discardWriter) Header() http.Header         { return d.h }
func (d *discardWriter) WriteHeader(code int)        { d.status = code }
func (d *discardWriter) Write(b []byte) (int, error) { return len(b), nil }

// measureHandlers benchmarks every shape's handler in this process: the
// app wired by the root package over the database, and the ceiling's replay of
// the full feed's response.
func measureHandlers(ctx context.Context, db string, ps []party.Party, feedResp capture, only string) ([]handlerCost, error) {
	a, h, err := inProcessApp(ctx, db)
	if err != nil {
		return nil, err
	}
	// Requests go straight to the handler: the address is never dialled.
	shapes, err := serverShapes("http://127.0.0.1", ps)
	if err != nil {
		return nil, fmt.Errorf("handler costs: %w", err)
	}
	w := &discardWriter{h: http.Header{}}
	h.ServeHTTP(w, request(shapes[0]))
	shapes = append(shapes, revalidateShape(shapes[0], w.h.Get("ETag")), ceilingShape("http://127.0.0.1", shapes[0]))
	// The feed's function without the shared middleware shows what the
	// middleware costs.
	bare := shapes[0]
	bare.Name = "feed-gzip, no middleware"
	shapes = append(shapes, bare)
	bareHandler := (&parties.Handler{Feed: a.Feed()}).Routes()

	var out []handlerCost
	for _, s := range shapes {
		if !selected(only, s.Name) && !(s.Name == bare.Name && selected(only, shapes[0].Name)) {
			continue
		}
		target := h
		if s.Name == bare.Name {
			target = bareHandler
		}
		if s.Name == "ceiling" {
			if feedResp.Status == 0 {
				continue // the full feed was not measured: nothing to replay
			}
			target = replay(feedResp)
		}
		c, err := benchHandler(target, s)
		if err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, nil
}

// request is the shape's request as a server hands it to its handler.
func request(s shape) *http.Request {
	u, _ := url.Parse(s.URL)
	req := httptest.NewRequest(http.MethodGet, u.RequestURI(), nil)
	req.Header = s.Header.Clone()
	return req
}

// benchHandler runs the shape's request through the handler with
// testing.Benchmark, after checking that it answers as the shape wants.
func benchHandler(h http.Handler, s shape) (handlerCost, error) {
	req := request(s)
	w := &discardWriter{h: http.Header{}}
	h.ServeHTTP(w, req)
	if w.status != s.Want {
		return handlerCost{}, fmt.Errorf("%s in process: status %d, want %d", s.Name, w.status, s.Want)
	}
	c := handlerCost{Name: s.Name}
	res := testing.Benchmark(func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			clear(w.h)
			h.ServeHTTP(w, req)
		}
	})
	c.NsPerOp, c.BytesPerOp, c.AllocsPerOp = res.NsPerOp(), res.AllocedBytesPerOp(), res.AllocsPerOp()
	return c, nil
}
