package redis

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"reflect"
	"strings"
	"testing"
)

func TestAppendCommand(t *testing.T) {
	got := appendCommand(nil, "SET", "k", []byte("a\r\nb\x00"), "PX", int64(1500), 3)
	want := "*6\r\n$3\r\nSET\r\n$1\r\nk\r\n$5\r\na\r\nb\x00\r\n$2\r\nPX\r\n$4\r\n1500\r\n$1\r\n3\r\n"
	if string(got) != want {
		t.Errorf("appendCommand = %q, want %q", got, want)
	}
	if got := appendCommand(nil, ""); string(got) != "*1\r\n$0\r\n\r\n" {
		t.Errorf("an empty argument: %q", got)
	}
}

func TestReadReply(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want any
	}{
		{"simple string", "+OK\r\n", "OK"},
		{"empty simple string", "+\r\n", ""},
		{"error", "-NOSCRIPT No matching script\r\n", replyError("NOSCRIPT No matching script")},
		{"integer", ":42\r\n", int64(42)},
		{"negative integer", ":-1\r\n", int64(-1)},
		{"bulk", "$5\r\nhello\r\n", []byte("hello")},
		{"empty bulk", "$0\r\n\r\n", []byte{}},
		{"binary bulk", "$4\r\n\r\n\x00\xff\r\n", []byte("\r\n\x00\xff")},
		{"nil bulk", "$-1\r\n", nil},
		{"nil array", "*-1\r\n", nil},
		{"empty array", "*0\r\n", []any{}},
		{"MGET", "*2\r\n$2\r\n17\r\n$-1\r\n", []any{[]byte("17"), nil}},
		{"EXEC", "*3\r\n:1\r\n-ERR not an integer\r\n:0\r\n", []any{int64(1), replyError("ERR not an integer"), int64(0)}},
		{"nested", "*2\r\n*1\r\n+a\r\n*0\r\n", []any{[]any{"a"}, []any{}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := bufio.NewReader(strings.NewReader(tt.in + "+next\r\n"))
			got, err := readReply(r)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("readReply(%q) = %#v, want %#v", tt.in, got, tt.want)
			}
			// exactly one reply consumed: the stream is in step
			if next, err := readReply(r); err != nil || next != "next" {
				t.Errorf("the reply after: %#v, %v; want \"next\"", next, err)
			}
		})
	}
}

func TestReadReplyMalformed(t *testing.T) {
	tests := []struct {
		name string
		in   string
		eof  bool // cut short rather than wrong
	}{
		{"nothing", "", true},
		{"no CRLF", "+OK", true},
		{"LF alone", "+OK\n", false},
		{"CR inside a line", "-ERR\rx\r\n", false},
		{"empty line", "\r\n", false},
		{"unknown type", "!oops\r\n", false},
		{"RESP3 map", "%1\r\n+a\r\n+b\r\n", false},
		{"integer not a number", ":4x\r\n", false},
		{"integer empty", ":\r\n", false},
		{"integer overflow", ":99999999999999999999\r\n", false},
		{"bulk length not a number", "$abc\r\n", false},
		{"bulk length negative", "$-2\r\n", false},
		{"bulk length too large", "$999999999999\r\n", false},
		{"bulk short", "$5\r\nhel", true},
		{"bulk longer than said", "$2\r\nhello\r\n", false},
		{"bulk without CRLF", "$5\r\nhello", true},
		{"bulk claims much, sends little", "$536870912\r\nabc", true},
		{"array length not a number", "*x\r\n", false},
		{"array length negative", "*-5\r\n", false},
		{"array too long", "*99999999\r\n", false},
		{"array short", "*2\r\n+a\r\n", true},
		{"array of garbage", "*1\r\n?\r\n", false},
		{"nested too deep", strings.Repeat("*1\r\n", 50) + ":1\r\n", false},
		{"line too long", "+" + strings.Repeat("x", 5000) + "\r\n", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := readReply(bufio.NewReader(strings.NewReader(tt.in)))
			if err == nil {
				t.Fatalf("readReply(%.40q) = %#v, want an error", tt.in, got)
			}
			if tt.eof != (errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF)) {
				t.Errorf("readReply(%.40q): %v; want cut short: %v", tt.in, err, tt.eof)
			}
			if !tt.eof && !errors.Is(err, errProtocol) {
				t.Errorf("readReply(%.40q): %v; want a protocol error", tt.in, err)
			}
		})
	}
}

// TestReadReplyLarge reads a bulk string larger than the buffer that
// grows as it arrives.
func TestReadReplyLarge(t *testing.T) {
	blob := bytes.Repeat([]byte("0123456789abcdef"), 40<<10) // 640 KB
	in := append(appendBulk([]byte(nil), blob), "+next\r\n"...)
	r := bufio.NewReader(bytes.NewReader(in))
	got, err := readReply(r)
	if err != nil || !bytes.Equal(got.([]byte), blob) {
		t.Fatalf("a bulk of %d bytes: %d bytes, %v", len(blob), len(got.([]byte)), err)
	}
	if next, err := readReply(r); err != nil || next != "next" {
		t.Errorf("the reply after: %#v, %v", next, err)
	}
}

// FuzzReadReply: whatever a server sends, the reader returns a value or
// an error, without a panic, and never reads past the end of its input.
func FuzzReadReply(f *testing.F) {
	for _, seed := range []string{
		"+OK\r\n", "-ERR x\r\n", ":1\r\n", "$3\r\nabc\r\n", "$-1\r\n", "*-1\r\n",
		"*2\r\n$2\r\n17\r\n$-1\r\n", "*3\r\n:1\r\n-ERR e\r\n*1\r\n+a\r\n",
		"$5\r\nhel", "*9999999999\r\n", "$-7\r\n", "*1\r\n*1\r\n*1\r\n", ":\r\n", "\r\n",
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		r := bufio.NewReader(bytes.NewReader(in))
		for range 4 { // a few replies in a row, as a pipeline reads them
			v, err := readReply(r)
			if err != nil {
				return
			}
			switch v := v.(type) {
			case replyError:
				if strings.ContainsAny(string(v), "\r\n") {
					t.Fatalf("an error reply spanning lines: %q", v)
				}
			case string:
				if strings.ContainsAny(v, "\r\n") {
					t.Fatalf("a simple string spanning lines: %q", v)
				}
			}
		}
	})
}
