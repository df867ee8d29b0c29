// Package fetchtest stands a local HTTPS server in for a public host, so
// tests of code that fetches admin-supplied URLs (imports, the scheduled
// re-sync) run against a real TLS server without any traffic beyond
// loopback.
package fetchtest

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"io"
	"log"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/partyfinder/partyfinder/shared/fetch"
)

// Host is the name the server answers as; *.Host works too.
const Host = "sheet.example"

// Certificate makes a self-signed certificate for names.
func Certificate(t testing.TB, names ...string) tls.Certificate {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: names[0]},
		DNSNames:              names,
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(time.Hour),
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}
}

// Server is a TLS server for Host and its subdomains.
type Server struct {
	*httptest.Server
	mu    sync.Mutex
	dials []string
}

// NewServer starts a server for h, closed when the test ends.
func NewServer(t testing.TB, h http.Handler) *Server {
	t.Helper()
	s := &Server{Server: httptest.NewUnstartedServer(h)}
	s.TLS = &tls.Config{Certificates: []tls.Certificate{Certificate(t, Host, "*."+Host)}}
	s.Config.ErrorLog = log.New(io.Discard, "", 0) // refused handshakes are expected in some tests
	s.StartTLS()
	t.Cleanup(s.Close)
	return s
}

// Options returns fetcher options under which Host and its subdomains
// resolve to 127.0.0.1, the dialer takes the checked address
// 127.0.0.1:443 to the server (and fails the test for any other), and
// the server's certificate is trusted. Every other name does not resolve.
func (s *Server) Options(t testing.TB) fetch.Options {
	pool := x509.NewCertPool()
	pool.AddCert(s.Certificate())
	return fetch.Options{
		Resolver:      resolver{},
		RootCAs:       pool,
		AllowLoopback: true,
		Dial: func(ctx context.Context, network, addr string) (net.Conn, error) {
			s.mu.Lock()
			s.dials = append(s.dials, addr)
			s.mu.Unlock()
			if addr != "127.0.0.1:443" {
				t.Errorf("dialed %s; only the checked address 127.0.0.1:443 may be dialed", addr)
				return nil, errors.New("unexpected dial")
			}
			var d net.Dialer
			return d.DialContext(ctx, network, s.Listener.Addr().String())
		},
	}
}

// Dials lists the addresses dialed so far.
func (s *Server) Dials() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.dials...)
}

// resolver resolves Host and its subdomains to loopback, nothing else.
type resolver struct{}

func (resolver) LookupIPAddr(_ context.Context, host string) ([]net.IPAddr, error) {
	name := strings.TrimSuffix(strings.ToLower(host), ".")
	if name == Host || strings.HasSuffix(name, "."+Host) {
		return []net.IPAddr{{IP: net.IPv4(127, 0, 0, 1)}}, nil
	}
	return nil, &net.DNSError{Err: "no such host", Name: host, IsNotFound: true}
}
