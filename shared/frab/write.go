package frab

import (
	"fmt"
	"io"
	"sync"

	"github.com/partyfinder/partyfinder/shared/conference"
	"github.com/partyfinder/partyfinder/shared/party"
)

// buffers recycles the buffers WriteXML and WriteJSON build documents in.
var buffers = sync.Pool{New: func() any { return new([]byte) }}

// maxPooled is the largest buffer put back in the pool; a rare huge
// document does not pin its memory.
const maxPooled = 4 << 20

// WriteXML writes the schedule as frab XML to w, in one Write.
func (s *Schedule) WriteXML(w io.Writer) error { return s.write(w, s.AppendXML, "xml") }

// WriteJSON writes the schedule as frab JSON to w, in one Write.
func (s *Schedule) WriteJSON(w io.Writer) error { return s.write(w, s.AppendJSON, "json") }

func (s *Schedule) write(w io.Writer, appendTo func([]byte) []byte, what string) error {
	bp := buffers.Get().(*[]byte)
	b := appendTo((*bp)[:0])
	_, err := w.Write(b)
	if cap(b) <= maxPooled {
		*bp = b
		buffers.Put(bp)
	}
	if err != nil {
		return fmt.Errorf("frab: write %s: %w", what, err)
	}
	return nil
}

// EncodeXML returns the frab XML of the conference's parties: New, then
// AppendXML into a buffer of the right size.
func EncodeXML(conf conference.Conference, parties []party.Party, o Options) ([]byte, error) {
	s, err := New(conf, parties, o)
	if err != nil {
		return nil, err
	}
	return s.AppendXML(nil), nil
}

// EncodeJSON returns the frab JSON of the conference's parties: New, then
// AppendJSON into a buffer of the right size.
func EncodeJSON(conf conference.Conference, parties []party.Party, o Options) ([]byte, error) {
	s, err := New(conf, parties, o)
	if err != nil {
		return nil, err
	}
	return s.AppendJSON(nil), nil
}
