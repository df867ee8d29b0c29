package fetch_test

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/partyfinder/partyfinder/shared/apperr"
	"github.com/partyfinder/partyfinder/shared/fetch"
	"github.com/partyfinder/partyfinder/shared/fetch/fetchtest"
)

// resolver answers from a fixed table, like DNS for the test's names.
type resolver map[string][]string

func (r resolver) LookupIPAddr(_ context.Context, host string) ([]net.IPAddr, error) {
	name := strings.TrimSuffix(strings.ToLower(host), ".")
	addrs, ok := r[name]
	if !ok {
		return nil, &net.DNSError{Err: "no such host", Name: host, IsNotFound: true}
	}
	out := make([]net.IPAddr, len(addrs))
	for i, a := range addrs {
		out[i] = net.IPAddr{IP: net.ParseIP(a)}
	}
	return out, nil
}

// names is the test's DNS: the sheet's hosts resolve to loopback (where the
// test server listens), the others to every kind of refused address.
var names = resolver{
	"sheet.example":           {"127.0.0.1"},
	"cdn.sheet.example":       {"127.0.0.1"},
	"public.example":          {"93.184.216.34"},
	"public6.example":         {"2606:2800:220:1:248:1893:25c8:1946"},
	"private.example":         {"10.1.2.3"},
	"private172.example":      {"172.31.255.255"},
	"home.example":            {"192.168.1.20"},
	"ula.example":             {"fd12:3456::1"},
	"metadata-alias.example":  {"169.254.169.254"},
	"linklocal.example":       {"169.254.10.10"},
	"linklocal6.example":      {"fe80::1"},
	"loopback.example":        {"127.0.0.2"},
	"loopback6.example":       {"::1"},
	"cgnat.example":           {"100.64.1.1"},
	"multicast.example":       {"239.255.255.250"},
	"unspecified.example":     {"0.0.0.0"},
	"unspecified6.example":    {"::"},
	"mapped.example":          {"::ffff:10.0.0.1"},
	"mapped-metadata.example": {"::ffff:169.254.169.254"},
	"mapped-loopback.example": {"::ffff:127.0.0.1"},
	"nat64-metadata.example":  {"64:ff9b::a9fe:a9fe"},
	"mixed.example":           {"93.184.216.34", "10.0.0.1"},
	"empty.example":           {},
}

// dials records the addresses a client dialed.
type dials struct {
	mu    sync.Mutex
	addrs []string
}

func (d *dials) record(addr string) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.addrs = append(d.addrs, addr)
}

func (d *dials) list() []string {
	d.mu.Lock()
	defer d.mu.Unlock()
	return append([]string(nil), d.addrs...)
}

func wantKind(t *testing.T, err error, kind apperr.Kind, message string) {
	t.Helper()
	if err == nil {
		t.Fatalf("got no error, want %s %q", kind, message)
	}
	e, ok := apperr.As(err)
	if !ok || e.Kind != kind || !strings.Contains(e.Message, message) {
		t.Fatalf("got %v, want an apperr %s error containing %q", err, kind, message)
	}
}

// TestRefused covers URLs that must be refused before any connection: the
// dialer fails the test if it is called at all.
func TestRefused(t *testing.T) {
	tests := []struct {
		name          string
		url           string
		allowLoopback bool
		kind          apperr.Kind
		message       string
	}{
		{"http", "http://sheet.example/pub.csv", false, apperr.Invalid, "only https"},
		{"file", "file:///etc/passwd", false, apperr.Invalid, "only https"},
		{"ftp", "ftp://sheet.example/pub.csv", false, apperr.Invalid, "only https"},
		{"gopher", "gopher://sheet.example:70/_GET", false, apperr.Invalid, "only https"},
		{"data", "data:text/csv,name%0Aparty", false, apperr.Invalid, "only https"},
		{"javascript", "javascript:alert(1)", false, apperr.Invalid, "only https"},
		{"opaque https", "https:sheet.example/pub.csv", false, apperr.Invalid, "must start with https://"},
		{"no scheme", "//sheet.example/pub.csv", false, apperr.Invalid, "absolute"},
		{"not a URL", "https://sheet.example/%zz", false, apperr.Invalid, "cannot be parsed"},
		{"no host", "https:///pub.csv", false, apperr.Invalid, "no host"},

		{"user and password", "https://admin:secret@sheet.example/pub.csv", false, apperr.Invalid, "user name or password"},
		{"user", "https://admin@sheet.example/pub.csv", false, apperr.Invalid, "user name or password"},
		{"other port", "https://public.example:8443/pub.csv", false, apperr.Invalid, "port 443"},
		{"ssh port", "https://public.example:22/", false, apperr.Invalid, "port 443"},

		{"loopback literal", "https://127.0.0.1/", false, apperr.Invalid, "loopback"},
		{"IPv6 loopback literal", "https://[::1]/", false, apperr.Invalid, "loopback"},
		{"private literal", "https://10.0.0.1/", false, apperr.Invalid, "private"},
		{"private literal 172", "https://172.16.5.4/", false, apperr.Invalid, "private"},
		{"private literal 192", "https://192.168.0.1/", false, apperr.Invalid, "private"},
		{"metadata literal", "https://169.254.169.254/computeMetadata/v1/", false, apperr.Invalid, "metadata"},
		{"link-local literal", "https://169.254.1.1/", false, apperr.Invalid, "link-local"},
		{"IPv6 link-local literal", "https://[fe80::1]/", false, apperr.Invalid, "link-local"},
		{"zoned literal", "https://[fe80::1%25eth0]/", false, apperr.Invalid, "network interface"},
		{"unique local literal", "https://[fd00::1]/", false, apperr.Invalid, "private"},
		{"unspecified literal", "https://0.0.0.0/", false, apperr.Invalid, "unspecified"},
		{"IPv6 unspecified literal", "https://[::]/", false, apperr.Invalid, "unspecified"},
		{"multicast literal", "https://224.0.0.1/", false, apperr.Invalid, "multicast"},
		{"IPv6 multicast literal", "https://[ff02::1]/", false, apperr.Invalid, "multicast"},
		{"CGNAT literal", "https://100.64.0.1/", false, apperr.Invalid, "carrier-grade NAT"},
		{"mapped loopback literal", "https://[::ffff:127.0.0.1]/", false, apperr.Invalid, "loopback"},
		{"mapped private literal", "https://[::ffff:10.0.0.1]/", false, apperr.Invalid, "private"},
		{"mapped metadata literal", "https://[::ffff:169.254.169.254]/", false, apperr.Invalid, "metadata"},
		{"mapped metadata literal, hex", "https://[::ffff:a9fe:a9fe]/", false, apperr.Invalid, "metadata"},
		{"decimal loopback", "https://2130706433/", false, apperr.Invalid, "neither a valid IP address"},
		{"octal loopback", "https://017700000001/", false, apperr.Invalid, "neither a valid IP address"},
		{"hex loopback", "https://0x7f.1/", false, apperr.Invalid, "neither a valid IP address"},
		{"short loopback", "https://127.1/", false, apperr.Invalid, "neither a valid IP address"},

		{"metadata name", "https://metadata.google.internal/computeMetadata/v1/", false, apperr.Invalid, "metadata service"},
		{"metadata name, upper case, rooted", "https://METADATA.Google.Internal./computeMetadata/v1/", false, apperr.Invalid, "metadata service"},
		{"metadata short name", "https://metadata/computeMetadata/v1/", false, apperr.Invalid, "metadata service"},
		{"localhost", "https://localhost/", false, apperr.Invalid, "local machine"},
		{"localhost subdomain", "https://api.localhost/", false, apperr.Invalid, "local machine"},
		{"internal name", "https://db.internal/", false, apperr.Invalid, "internal network"},
		{"mDNS name", "https://printer.local/", false, apperr.Invalid, "internal network"},
		{"single label", "https://intranet/", false, apperr.Invalid, "fully qualified"},

		{"resolves to private", "https://private.example/pub.csv", false, apperr.Invalid, `"private.example" resolves to a private address`},
		{"resolves to private 172", "https://private172.example/", false, apperr.Invalid, "resolves to a private address"},
		{"resolves to private 192", "https://home.example/", false, apperr.Invalid, "resolves to a private address"},
		{"resolves to unique local", "https://ula.example/", false, apperr.Invalid, "resolves to a private address"},
		{"resolves to metadata", "https://metadata-alias.example/computeMetadata/v1/", false, apperr.Invalid, "resolves to the cloud metadata address"},
		{"resolves to link-local", "https://linklocal.example/", false, apperr.Invalid, "resolves to a link-local address"},
		{"resolves to IPv6 link-local", "https://linklocal6.example/", false, apperr.Invalid, "resolves to a link-local address"},
		{"resolves to loopback", "https://loopback.example/", false, apperr.Invalid, "resolves to a loopback address"},
		{"resolves to IPv6 loopback", "https://loopback6.example/", false, apperr.Invalid, "resolves to a loopback address"},
		{"resolves to the test server without AllowLoopback", "https://sheet.example/pub.csv", false, apperr.Invalid, "resolves to a loopback address"},
		{"resolves to CGNAT", "https://cgnat.example/", false, apperr.Invalid, "resolves to a carrier-grade NAT address"},
		{"resolves to multicast", "https://multicast.example/", false, apperr.Invalid, "resolves to a multicast address"},
		{"resolves to unspecified", "https://unspecified.example/", false, apperr.Invalid, "resolves to an unspecified address"},
		{"resolves to IPv6 unspecified", "https://unspecified6.example/", false, apperr.Invalid, "resolves to an unspecified address"},
		{"resolves to mapped private", "https://mapped.example/", false, apperr.Invalid, "resolves to a private address"},
		{"resolves to mapped metadata", "https://mapped-metadata.example/", false, apperr.Invalid, "resolves to the cloud metadata address"},
		{"resolves to mapped loopback", "https://mapped-loopback.example/", false, apperr.Invalid, "resolves to a loopback address"},
		{"resolves to NAT64 metadata", "https://nat64-metadata.example/", false, apperr.Invalid, "resolves to the cloud metadata address"},
		{"one of its addresses is private", "https://mixed.example/", false, apperr.Invalid, "resolves to a private address"},

		{"AllowLoopback keeps private refused", "https://private.example/", true, apperr.Invalid, "resolves to a private address"},
		{"AllowLoopback keeps metadata refused", "https://metadata-alias.example/", true, apperr.Invalid, "metadata"},
		{"AllowLoopback keeps mapped private refused", "https://mapped.example/", true, apperr.Invalid, "private"},

		{"unknown host", "https://nowhere.example/", false, apperr.Unavailable, `could not resolve host "nowhere.example"`},
		{"no addresses", "https://empty.example/", false, apperr.Unavailable, "could not resolve"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := fetch.New(fetch.Options{
				Resolver:      names,
				AllowLoopback: tt.allowLoopback,
				Dial: func(_ context.Context, _, addr string) (net.Conn, error) {
					t.Errorf("dialed %s for a refused URL", addr)
					return nil, errors.New("no connection in this test")
				},
			})
			_, err := c.Get(context.Background(), tt.url)
			wantKind(t, err, tt.kind, tt.message)
		})
	}
}

// TestDialsTheCheckedAddress shows that a name that passes the checks is
// dialed by the address that was checked, not by its name, so a second DNS
// answer cannot redirect the connection. The dialer refuses, so nothing
// leaves the machine.
func TestDialsTheCheckedAddress(t *testing.T) {
	for host, want := range map[string]string{
		"public.example":  "93.184.216.34:443",
		"public6.example": "[2606:2800:220:1:248:1893:25c8:1946]:443",
	} {
		t.Run(host, func(t *testing.T) {
			var d dials
			c := fetch.New(fetch.Options{
				Resolver: names,
				Dial: func(_ context.Context, _, addr string) (net.Conn, error) {
					d.record(addr)
					return nil, errors.New("no connection in this test")
				},
			})
			_, err := c.Get(context.Background(), "https://"+host+"/pub.csv")
			wantKind(t, err, apperr.Unavailable, "could not")
			if got := d.list(); len(got) != 1 || got[0] != want {
				t.Errorf("dialed %v, want [%s]", got, want)
			}
		})
	}
}

// sheetServer is a TLS server standing in for the spreadsheet host, with a
// certificate for sheet.example and *.sheet.example.
type sheetServer struct {
	*httptest.Server
	mu         sync.Mutex
	serverName string // the SNI of the last request
	host       string // the Host header of the last request
}

func newSheetServer(t *testing.T) *sheetServer {
	t.Helper()
	release := make(chan struct{})
	s := &sheetServer{}
	mux := http.NewServeMux()
	mux.HandleFunc("/pub.csv", func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		s.serverName, s.host = r.TLS.ServerName, r.Host
		s.mu.Unlock()
		w.Header().Set("Content-Type", "text/csv; charset=utf-8")
		fmt.Fprint(w, "name,start\nOpening party,2025-06-01T20:00\n")
	})
	mux.HandleFunc("/redirect", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, r.URL.Query().Get("to"), http.StatusTemporaryRedirect)
	})
	mux.HandleFunc("/hops/{n}", func(w http.ResponseWriter, r *http.Request) {
		n, _ := strconv.Atoi(r.PathValue("n"))
		if n == 0 {
			http.Redirect(w, r, "/pub.csv", http.StatusFound)
			return
		}
		http.Redirect(w, r, "/hops/"+strconv.Itoa(n-1), http.StatusFound)
	})
	mux.HandleFunc("/bytes/{n}", func(w http.ResponseWriter, r *http.Request) {
		n, _ := strconv.Atoi(r.PathValue("n"))
		if r.URL.Query().Has("declared") {
			w.Header().Set("Content-Length", strconv.Itoa(n))
		}
		w.WriteHeader(http.StatusOK)
		w.(http.Flusher).Flush() // no Content-Length unless declared: the limit must hold while reading
		w.Write([]byte(strings.Repeat("x", n)))
	})
	mux.HandleFunc("/stall", func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-release:
		}
	})
	mux.HandleFunc("/stall-body", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/csv")
		fmt.Fprint(w, "name,start\n")
		w.(http.Flusher).Flush()
		select {
		case <-r.Context().Done():
		case <-release:
		}
	})
	mux.HandleFunc("/missing", http.NotFound)

	s.Server = httptest.NewUnstartedServer(mux)
	s.TLS = &tls.Config{Certificates: []tls.Certificate{fetchtest.Certificate(t, "sheet.example", "*.sheet.example")}}
	s.Config.ErrorLog = log.New(io.Discard, "", 0) // the untrusted-certificate case fails handshakes on purpose
	s.StartTLS()
	t.Cleanup(s.Close)
	t.Cleanup(func() { close(release) }) // runs first: stalled handlers return before Close waits for them
	return s
}

// client returns a client for the sheet server: its names resolve to
// 127.0.0.1, and the dialer, given 127.0.0.1:443, connects to the server's
// port. It fails the test if asked to dial anything else.
func (s *sheetServer) client(t *testing.T, o fetch.Options) (*fetch.Client, *dials) {
	t.Helper()
	d := &dials{}
	pool := x509.NewCertPool()
	pool.AddCert(s.Certificate())
	o.Resolver = names
	o.AllowLoopback = true
	if o.RootCAs == nil {
		o.RootCAs = pool
	}
	o.Dial = func(ctx context.Context, network, addr string) (net.Conn, error) {
		d.record(addr)
		if addr != "127.0.0.1:443" {
			t.Errorf("dialed %s; only the checked address 127.0.0.1:443 may be dialed", addr)
			return nil, errors.New("unexpected dial")
		}
		var nd net.Dialer
		return nd.DialContext(ctx, network, s.Listener.Addr().String())
	}
	return fetch.New(o), d
}

func TestGetFromSheet(t *testing.T) {
	s := newSheetServer(t)

	t.Run("success", func(t *testing.T) {
		c, d := s.client(t, fetch.Options{})
		res, err := c.Get(context.Background(), "https://sheet.example/pub.csv")
		if err != nil {
			t.Fatal(err)
		}
		if want := "name,start\nOpening party,2025-06-01T20:00\n"; string(res.Body) != want {
			t.Errorf("body = %q, want %q", res.Body, want)
		}
		if res.URL != "https://sheet.example/pub.csv" || res.ContentType != "text/csv; charset=utf-8" {
			t.Errorf("URL, content type = %q, %q", res.URL, res.ContentType)
		}
		s.mu.Lock()
		defer s.mu.Unlock()
		if s.serverName != "sheet.example" || s.host != "sheet.example" {
			t.Errorf("SNI, Host = %q, %q; want the name, not the address", s.serverName, s.host)
		}
		if got := d.list(); len(got) != 1 {
			t.Errorf("dialed %v, want one connection", got)
		}
	})

	t.Run("redirect to another allowed host", func(t *testing.T) {
		c, _ := s.client(t, fetch.Options{})
		res, err := c.Get(context.Background(), "https://sheet.example/redirect?to="+url.QueryEscape("https://cdn.sheet.example/pub.csv"))
		if err != nil {
			t.Fatal(err)
		}
		if res.URL != "https://cdn.sheet.example/pub.csv" || !strings.HasPrefix(string(res.Body), "name,start") {
			t.Errorf("got %q from %s", res.Body, res.URL)
		}
	})

	t.Run("as many redirects as allowed", func(t *testing.T) {
		c, _ := s.client(t, fetch.Options{MaxRedirects: 3})
		res, err := c.Get(context.Background(), "https://sheet.example/hops/2") // 2, 1, 0, then pub.csv: 3 redirects
		if err != nil {
			t.Fatal(err)
		}
		if res.URL != "https://sheet.example/pub.csv" {
			t.Errorf("final URL = %s", res.URL)
		}
	})

	t.Run("body of exactly MaxBytes", func(t *testing.T) {
		c, _ := s.client(t, fetch.Options{MaxBytes: 1024})
		res, err := c.Get(context.Background(), "https://sheet.example/bytes/1024")
		if err != nil {
			t.Fatal(err)
		}
		if len(res.Body) != 1024 {
			t.Errorf("read %d bytes, want 1024", len(res.Body))
		}
	})

	failures := []struct {
		name    string
		o       fetch.Options
		url     string
		kind    apperr.Kind
		message string
		dials   int // connections expected: the refused targets get none
	}{
		{"body over MaxBytes", fetch.Options{MaxBytes: 1024}, "https://sheet.example/bytes/1025", apperr.Invalid, "larger than 1024 bytes", 1},
		{"declared length over MaxBytes", fetch.Options{MaxBytes: 1024}, "https://sheet.example/bytes/5000?declared", apperr.Invalid, "larger than 1024 bytes", 1},
		{"stalls before answering", fetch.Options{Timeout: 200 * time.Millisecond}, "https://sheet.example/stall", apperr.Unavailable, "did not answer within", 1},
		{"stalls in the body", fetch.Options{Timeout: 200 * time.Millisecond}, "https://sheet.example/stall-body", apperr.Unavailable, "did not answer within", 1},
		{"non-2xx answer", fetch.Options{}, "https://sheet.example/missing", apperr.Unavailable, "404", 1},
		{"too many redirects", fetch.Options{MaxRedirects: 3}, "https://sheet.example/hops/3", apperr.Invalid, "redirected more than 3 times", 1},
		{"no redirects allowed", fetch.Options{MaxRedirects: -1}, "https://sheet.example/hops/0", apperr.Invalid, "redirected more than 0 times", 1},
		{"untrusted certificate", fetch.Options{RootCAs: x509.NewCertPool()}, "https://sheet.example/pub.csv", apperr.Unavailable, "could not fetch", 1},
	}
	for _, target := range []struct{ name, to, message string }{
		{"metadata name", "https://metadata.google.internal/computeMetadata/v1/", "metadata service"},
		{"metadata address", "https://169.254.169.254/latest/meta-data/", "metadata address"},
		{"mapped metadata address", "https://[::ffff:169.254.169.254]/", "metadata address"},
		{"private address", "https://10.0.0.1/", "private address"},
		{"name that resolves to a private address", "https://private.example/pub.csv", `"private.example" resolves to a private address`},
		{"name that resolves to the metadata address", "https://metadata-alias.example/", "resolves to the cloud metadata address"},
		{"plain http", "http://cdn.sheet.example/pub.csv", "only https"},
		{"file", "file:///etc/passwd", "only https"},
		{"userinfo", "https://admin:secret@cdn.sheet.example/pub.csv", "user name or password"},
	} {
		failures = append(failures, struct {
			name    string
			o       fetch.Options
			url     string
			kind    apperr.Kind
			message string
			dials   int
		}{"redirect to " + target.name, fetch.Options{}, "https://sheet.example/redirect?to=" + url.QueryEscape(target.to), apperr.Invalid, target.message, 1})
	}
	for _, tt := range failures {
		t.Run(tt.name, func(t *testing.T) {
			c, d := s.client(t, tt.o)
			_, err := c.Get(context.Background(), tt.url)
			wantKind(t, err, tt.kind, tt.message)
			if got := d.list(); len(got) != tt.dials {
				t.Errorf("dialed %v, want %d connection(s) to the sheet only", got, tt.dials)
			}
		})
	}

	t.Run("non-https and userinfo refused before dialing", func(t *testing.T) {
		for u, message := range map[string]string{
			"http://sheet.example/pub.csv":               "only https",
			"https://admin:secret@sheet.example/pub.csv": "user name or password",
		} {
			c, d := s.client(t, fetch.Options{})
			_, err := c.Get(context.Background(), u)
			wantKind(t, err, apperr.Invalid, message)
			if got := d.list(); len(got) != 0 {
				t.Errorf("%s: dialed %v", u, got)
			}
		}
	})

	t.Run("cancelled by the caller", func(t *testing.T) {
		c, _ := s.client(t, fetch.Options{})
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		_, err := c.Get(ctx, "https://sheet.example/pub.csv")
		wantKind(t, err, apperr.Unavailable, "cancelled")
	})
}
