package redis

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// The wire protocol, RESP2: a command goes out as an array of bulk
// strings, and a reply is one of five types, told apart by its first
// byte. The package speaks only this much of it: no RESP3 (HELLO), no
// push messages, no inline commands.
//
// A reply is read into a Go value:
//
//	+OK            string
//	-ERR ...       replyError (a value, not an error: in a pipeline or a
//	               transaction each command has its own)
//	:42            int64
//	$3 abc         []byte
//	$-1, *-1       nil
//	*2 ...         []any of the above

// replyError is an error reply of Redis, such as "NOSCRIPT No matching
// script". The connection it came over is still good.
type replyError string

func (e replyError) Error() string { return "redis: " + string(e) }

// prefix is the error's code: its first word, by convention upper case.
func (e replyError) prefix() string {
	code, _, _ := strings.Cut(string(e), " ")
	return code
}

// errProtocol marks replies that break RESP: the connection they came
// over is out of step with the server and must not be used again.
var errProtocol = errors.New("redis: protocol error")

func protocolError(format string, args ...any) error {
	return fmt.Errorf("%w: %s", errProtocol, fmt.Sprintf(format, args...))
}

// The bounds of what readReply takes. Redis's own limit for one bulk
// string is 512 MB (proto-max-bulk-len); nesting is never deeper than 2
// in what this package sends (EXEC's array of replies), so a far deeper
// one is a broken stream, not a reply.
const (
	maxBulk  = 512 << 20
	maxArray = 1 << 20
	maxDepth = 8
)

// appendCommand appends a command to b as RESP: an array of bulk
// strings. Arguments are strings, byte slices or integers.
func appendCommand(b []byte, args ...any) []byte {
	b = append(b, '*')
	b = strconv.AppendInt(b, int64(len(args)), 10)
	b = append(b, '\r', '\n')
	for _, a := range args {
		switch a := a.(type) {
		case string:
			b = appendBulk(b, a)
		case []byte:
			b = appendBulk(b, a)
		case int:
			b = appendBulk(b, strconv.AppendInt(nil, int64(a), 10))
		case int64:
			b = appendBulk(b, strconv.AppendInt(nil, a, 10))
		default:
			// a bug in this package, never data: the commands are ours
			panic(fmt.Sprintf("redis: argument of type %T", a))
		}
	}
	return b
}

func appendBulk[T string | []byte](b []byte, s T) []byte {
	b = append(b, '$')
	b = strconv.AppendInt(b, int64(len(s)), 10)
	b = append(b, '\r', '\n')
	b = append(b, s...)
	return append(b, '\r', '\n')
}

// readReply reads one reply. Any error it returns (other than an error
// reply, which is a value) leaves r somewhere inside a reply: the
// connection must be closed.
func readReply(r *bufio.Reader) (any, error) { return readValue(r, 0) }

func readValue(r *bufio.Reader, depth int) (any, error) {
	line, err := readLine(r)
	if err != nil {
		return nil, err
	}
	if len(line) == 0 {
		return nil, protocolError("an empty line where a reply starts")
	}
	body := line[1:]
	switch line[0] {
	case '+':
		return string(body), nil
	case '-':
		return replyError(body), nil
	case ':':
		n, err := strconv.ParseInt(string(body), 10, 64)
		if err != nil {
			return nil, protocolError("integer %q", body)
		}
		return n, nil
	case '$':
		n, err := length(body, maxBulk)
		if err != nil || n < 0 {
			return nil, err
		}
		return readBulk(r, n)
	case '*':
		n, err := length(body, maxArray)
		if err != nil || n < 0 {
			return nil, err
		}
		if depth >= maxDepth {
			return nil, protocolError("arrays nested deeper than %d", maxDepth)
		}
		// The length is the server's word: allocate as the elements
		// arrive, not all at once for a length a broken stream made up.
		vs := make([]any, 0, min(n, 64))
		for range n {
			v, err := readValue(r, depth+1)
			if err != nil {
				return nil, err
			}
			vs = append(vs, v)
		}
		return vs, nil
	}
	return nil, protocolError("reply type %q", line[0])
}

// readLine reads up to CRLF and returns the line without it. A line
// longer than r's buffer is refused: the header lines of RESP are short.
func readLine(r *bufio.Reader) ([]byte, error) {
	line, err := r.ReadSlice('\n')
	switch {
	case errors.Is(err, bufio.ErrBufferFull):
		return nil, protocolError("a line longer than %d bytes", r.Size())
	case errors.Is(err, io.EOF) && len(line) > 0:
		return nil, io.ErrUnexpectedEOF
	case err != nil:
		return nil, err
	case len(line) < 2 || line[len(line)-2] != '\r':
		return nil, protocolError("a line ended by LF alone")
	case bytes.IndexByte(line[:len(line)-2], '\r') >= 0:
		return nil, protocolError("a CR inside a line")
	}
	return line[:len(line)-2], nil
}

// length parses the length of a bulk string or an array: -1 for nil
// (returned with a nil error), else 0 to limit.
func length(b []byte, limit int) (int, error) {
	n, err := strconv.Atoi(string(b))
	switch {
	case err != nil:
		return 0, protocolError("length %q", b)
	case n == -1:
		return -1, nil
	case n < 0 || n > limit:
		return 0, protocolError("length %d out of 0 to %d", n, limit)
	}
	return n, nil
}

// readBulk reads n bytes and the CRLF after them. Large bodies (a
// prebuilt snapshot) are read into a buffer that grows as the bytes
// arrive, so a stream that claims more than it sends costs no more
// memory than it sent.
func readBulk(r *bufio.Reader, n int) ([]byte, error) {
	var b []byte
	if n <= 64<<10 {
		b = make([]byte, n)
		if _, err := io.ReadFull(r, b); err != nil {
			return nil, unexpectedEOF(err)
		}
	} else {
		var buf bytes.Buffer
		buf.Grow(64 << 10)
		if _, err := io.CopyN(&buf, r, int64(n)); err != nil {
			return nil, unexpectedEOF(err)
		}
		b = buf.Bytes()
	}
	var crlf [2]byte
	if _, err := io.ReadFull(r, crlf[:]); err != nil {
		return nil, unexpectedEOF(err)
	}
	if crlf != [2]byte{'\r', '\n'} {
		return nil, protocolError("a bulk string of %d bytes not ended by CRLF", n)
	}
	return b, nil
}

func unexpectedEOF(err error) error {
	if errors.Is(err, io.EOF) {
		return io.ErrUnexpectedEOF
	}
	return err
}
