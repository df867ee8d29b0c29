package main

import "testing"

// The sizes table attributes every text symbol of a binary to a package
// and its module: a symbol put in the wrong one moves bytes between rows.
func TestSymbolPackage(t *testing.T) {
	for _, tc := range []struct{ sym, want string }{
		{"runtime.mallocgc", "runtime"},
		{"crypto/internal/fips140/sha3.keccakF1600.abi0", "crypto/internal/fips140/sha3"},
		{"github.com/go-playground/validator/v10.map.init.12", "github.com/go-playground/validator/v10"},
		{"github.com/leodido/go-urn.(*machine).Parse", "github.com/leodido/go-urn"},
		{"modernc.org/sqlite/lib._sqlite3VdbeExec", "modernc.org/sqlite/lib"},
		{"go.opentelemetry.io/otel/attribute.hashValue", "go.opentelemetry.io/otel/attribute"},
		{"go.uber.org/zap.Any", "go.uber.org/zap"},
		{"github.com/maypok86/otter/v2.(*Cache[go.shape.string,go.shape.*uint8]).Get", "github.com/maypok86/otter/v2"},
		{"slices.SortFunc[go.shape.[]string,go.shape.string]", "slices"},
		{"type:.eq.github.com/partyfinder/partyfinder/shared/party.Party", "github.com/partyfinder/partyfinder/shared/party"},
		{"type:.eq.[2]interface {}", ""},
		{"type:.eq.M40IM40IM48ISM34K6M8IM8", ""},
		{"runtime/cgo(.text)", "runtime/cgo"},
		{"go:buildid", ""},
		{"indexbody", ""},
	} {
		if got := symbolPackage(tc.sym); got != tc.want {
			t.Errorf("symbolPackage(%q) = %q, want %q", tc.sym, got, tc.want)
		}
	}
}

func TestParseNMLine(t *testing.T) {
	for _, tc := range []struct {
		line string
		sym  string
		size int64
		kind byte
		ok   bool
	}{
		{"  10f45a0      76012 T modernc.org/sqlite/lib._sqlite3VdbeExec", "modernc.org/sqlite/lib._sqlite3VdbeExec", 76012, 'T', true},
		{"  d0a840      36427 t github.com/gabriel-vasile/mimetype.init", "github.com/gabriel-vasile/mimetype.init", 36427, 't', true},
		{"  2ecc400   33554432 B crypto/internal/fips140/drbg.memory", "crypto/internal/fips140/drbg.memory", 33554432, 'B', true},
		{"  4a0000         16 T type:.eq.[2]interface {}", "type:.eq.[2]interface {}", 16, 'T', true},
		{"                  0 U abort", "abort", 0, 'U', true},
		{"", "", 0, 0, false},
	} {
		sym, size, kind, ok := parseNMLine(tc.line)
		if sym != tc.sym || size != tc.size || kind != tc.kind || ok != tc.ok {
			t.Errorf("parseNMLine(%q) = %q, %d, %q, %v; want %q, %d, %q, %v", tc.line, sym, size, kind, ok, tc.sym, tc.size, tc.kind, tc.ok)
		}
	}
}

func TestColdFunctionsFlags(t *testing.T) {
	for _, tc := range []struct {
		args    []string
		wantErr bool
		fn      string
		sizes   bool
	}{
		{nil, false, "", true},
		{[]string{"-functions", "parties"}, false, "parties", true},
		{[]string{"-functions", "parties", "-sizes=false", "-starts", "3"}, false, "parties", false},
		{[]string{"-functions", "swipe"}, true, "", false}, // serves no feed to time
	} {
		c, err := parseColdFlags(tc.args, testWriter{t})
		if (err != nil) != tc.wantErr {
			t.Errorf("parseColdFlags(%q): error %v, want error %v", tc.args, err, tc.wantErr)
			continue
		}
		if !tc.wantErr && (c.functions != tc.fn || c.sizes != tc.sizes) {
			t.Errorf("parseColdFlags(%q) = functions %q sizes %v, want %q %v", tc.args, c.functions, c.sizes, tc.fn, tc.sizes)
		}
	}
}

type testWriter struct{ t *testing.T }

func (w testWriter) Write(p []byte) (int, error) { w.t.Log(string(p)); return len(p), nil }

func TestCommas(t *testing.T) {
	for n, want := range map[int64]string{0: "0", 999: "999", 1000: "1,000", 64327996: "64,327,996", -1234: "-1,234"} {
		if got := commas(n); got != want {
			t.Errorf("commas(%d) = %q, want %q", n, got, want)
		}
	}
}
