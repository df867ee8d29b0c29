package fetch

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/partyfinder/partyfinder/shared/apperr"
)

// The defaults for Options' zero values.
const (
	DefaultMaxBytes     = 5 << 20
	DefaultTimeout      = 15 * time.Second
	DefaultMaxRedirects = 3
)

// Resolver looks up a host's addresses; *net.Resolver is one.
type Resolver interface {
	LookupIPAddr(ctx context.Context, host string) ([]net.IPAddr, error)
}

// Options configure a Client. The zero value is the production setting.
type Options struct {
	// MaxBytes is the largest body accepted (default 5 MiB); a larger one is
	// an error, never cut short.
	MaxBytes int64
	// Timeout bounds a whole fetch: resolving, connecting, redirects and
	// reading the body (default 15 s).
	Timeout time.Duration
	// MaxRedirects is how many redirects are followed (default 3); a
	// negative value follows none.
	MaxRedirects int

	// Resolver resolves host names (default net.DefaultResolver).
	Resolver Resolver
	// Dial opens a TCP connection; it is only ever given an IP address that
	// passed the checks, never a name (default a net.Dialer).
	Dial func(ctx context.Context, network, addr string) (net.Conn, error)
	// RootCAs are the certificate authorities trusted (default the system's).
	RootCAs *x509.CertPool
	// AllowLoopback lets loopback addresses and any port through, so that a
	// local test server can stand in for a public host. Only tests may set
	// it: New panics outside a test binary.
	AllowLoopback bool
}

// Result is a fetched document.
type Result struct {
	Body        []byte
	URL         string // the final URL, after redirects
	ContentType string // the Content-Type header as sent
}

// Client fetches admin-supplied https URLs without letting them reach
// internal addresses. It is safe for concurrent use.
type Client struct {
	opts Options
	http *http.Client
}

// New returns a Client with o's zero values replaced by the defaults.
func New(o Options) *Client {
	if o.AllowLoopback && !testing.Testing() {
		panic("fetch: AllowLoopback is for tests only")
	}
	if o.MaxBytes <= 0 {
		o.MaxBytes = DefaultMaxBytes
	}
	if o.Timeout <= 0 {
		o.Timeout = DefaultTimeout
	}
	if o.MaxRedirects == 0 {
		o.MaxRedirects = DefaultMaxRedirects
	} else if o.MaxRedirects < 0 {
		o.MaxRedirects = 0
	}
	if o.Resolver == nil {
		o.Resolver = net.DefaultResolver
	}
	if o.Dial == nil {
		o.Dial = (&net.Dialer{KeepAlive: 30 * time.Second}).DialContext // Get's context bounds it
	}
	c := &Client{opts: o}
	c.http = &http.Client{
		Transport: &http.Transport{
			Proxy:                  nil, // a proxy would make its own connections, unchecked
			DialContext:            c.dial,
			TLSClientConfig:        &tls.Config{RootCAs: o.RootCAs, MinVersion: tls.VersionTLS12},
			ForceAttemptHTTP2:      true,
			MaxResponseHeaderBytes: 64 << 10,
			MaxIdleConnsPerHost:    2,
			IdleConnTimeout:        30 * time.Second,
		},
		CheckRedirect: c.checkRedirect,
	}
	return c
}

// Get fetches rawURL and returns its body, the final URL and the content
// type. It returns an apperr.Invalid error when the URL or a redirect breaks
// a rule (the message names it) or the body is larger than MaxBytes, and an
// apperr.Unavailable error when the host cannot be resolved or reached,
// does not answer within the timeout, or answers with a non-2xx status.
func (c *Client) Get(ctx context.Context, rawURL string) (Result, error) {
	u, err := url.Parse(strings.TrimSpace(rawURL))
	if err != nil {
		return Result{}, apperr.New(apperr.Invalid, "the URL cannot be parsed")
	}
	if !u.IsAbs() {
		return Result{}, apperr.New(apperr.Invalid, "the URL must be absolute, starting with https://")
	}
	if e := c.checkURL(u); e != nil {
		return Result{}, e
	}
	ctx, cancel := context.WithTimeout(ctx, c.opts.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return Result{}, apperr.New(apperr.Invalid, "the URL cannot be requested")
	}
	req.Header.Set("Accept", "text/csv, application/json;q=0.9, */*;q=0.8")
	req.Header.Set("User-Agent", "Partyfinder-Import")

	resp, err := c.http.Do(req)
	if err != nil {
		return Result{}, c.failed(ctx, err, "could not fetch the URL")
	}
	defer resp.Body.Close()
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return Result{}, apperr.New(apperr.Unavailable, "the host answered %s", resp.Status)
	}
	if resp.ContentLength > c.opts.MaxBytes {
		return Result{}, c.tooLarge()
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, c.opts.MaxBytes+1))
	if err != nil {
		return Result{}, c.failed(ctx, err, "reading the document failed")
	}
	if int64(len(body)) > c.opts.MaxBytes {
		return Result{}, c.tooLarge()
	}
	if err := ctx.Err(); err != nil {
		// When the deadline passes, the transport closes the connection, and
		// a server that answers that close in time can still deliver a
		// complete-looking (empty or cut) response. It is not the document.
		return Result{}, c.failed(ctx, err, "reading the document failed")
	}
	return Result{Body: body, URL: resp.Request.URL.String(), ContentType: resp.Header.Get("Content-Type")}, nil
}

func (c *Client) tooLarge() error {
	return apperr.New(apperr.Invalid, "the document is larger than %d bytes", c.opts.MaxBytes)
}

// failed turns an error of the HTTP client into an apperr error: a refusal
// raised by the checks stays what it is; anything else is Unavailable, with
// the cause kept in the chain for the logs.
func (c *Client) failed(ctx context.Context, err error, message string) error {
	if e, ok := apperr.As(err); ok && e.Kind == apperr.Invalid {
		return e
	}
	var netErr net.Error
	switch {
	case errors.Is(ctx.Err(), context.DeadlineExceeded) || errors.As(err, &netErr) && netErr.Timeout():
		return fmt.Errorf("%w: %w", apperr.New(apperr.Unavailable, "the host did not answer within %s", c.opts.Timeout), err)
	case ctx.Err() != nil:
		return fmt.Errorf("%w: %w", apperr.New(apperr.Unavailable, "the fetch was cancelled"), err)
	}
	if _, ok := apperr.As(err); ok {
		return err
	}
	return fmt.Errorf("%w: %w", apperr.New(apperr.Unavailable, "%s", message), err)
}

// checkURL applies the rules that need no lookup: the scheme, userinfo, the
// port and the host's form.
func (c *Client) checkURL(u *url.URL) *apperr.Error {
	if u.Scheme != "https" {
		return apperr.New(apperr.Invalid, "only https URLs can be fetched (this one is %q)", u.Scheme)
	}
	if u.Opaque != "" {
		return apperr.New(apperr.Invalid, "the URL must start with https://")
	}
	if u.User != nil {
		return apperr.New(apperr.Invalid, "a URL with a user name or password is refused")
	}
	if p := u.Port(); p != "" && p != "443" && !c.opts.AllowLoopback {
		return apperr.New(apperr.Invalid, "only the standard https port 443 is allowed (this URL uses %s)", p)
	}
	_, e := checkHost(u.Hostname(), c.opts.AllowLoopback)
	return e
}

// checkRedirect applies the URL rules to every redirect and counts them.
func (c *Client) checkRedirect(req *http.Request, via []*http.Request) error {
	if len(via) > c.opts.MaxRedirects {
		return apperr.New(apperr.Invalid, "the URL redirected more than %d times", c.opts.MaxRedirects)
	}
	if e := c.checkURL(req.URL); e != nil {
		return apperr.New(apperr.Invalid, "a redirect was refused: %s", e.Message)
	}
	req.Header.Del("Referer") // the published link is as good as a password
	return nil
}

// dial resolves the host once, checks every address it resolves to, and
// connects to a checked address, so that a DNS answer that changes between
// the check and the connection cannot point it elsewhere. The transport
// still verifies TLS for the name and sends it as SNI and Host.
func (c *Client) dial(ctx context.Context, network, addr string) (net.Conn, error) {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, apperr.New(apperr.Invalid, "the URL's address %q cannot be parsed", addr)
	}
	if port != "443" && !c.opts.AllowLoopback {
		return nil, apperr.New(apperr.Invalid, "only the standard https port 443 is allowed (this URL uses %s)", port)
	}
	ip, e := checkHost(host, c.opts.AllowLoopback)
	if e != nil {
		return nil, e
	}
	ips := []netip.Addr{ip}
	if !ip.IsValid() {
		if ips, err = c.resolve(ctx, host); err != nil {
			return nil, err
		}
	}
	var last error
	for _, ip := range ips {
		conn, err := c.opts.Dial(ctx, network, net.JoinHostPort(ip.String(), port))
		if err == nil {
			return conn, nil
		}
		last = err
	}
	return nil, fmt.Errorf("%w: %w", apperr.New(apperr.Unavailable, "could not connect to host %q", host), last)
}

// resolve looks host up as a fully qualified name (no search domains) and
// returns its addresses if every one of them is allowed.
func (c *Client) resolve(ctx context.Context, host string) ([]netip.Addr, error) {
	found, err := c.opts.Resolver.LookupIPAddr(ctx, strings.TrimSuffix(host, ".")+".")
	if err != nil {
		return nil, fmt.Errorf("%w: %w", apperr.New(apperr.Unavailable, "could not resolve host %q", host), err)
	}
	if len(found) == 0 {
		return nil, apperr.New(apperr.Unavailable, "could not resolve host %q", host)
	}
	ips := make([]netip.Addr, 0, len(found))
	for _, f := range found {
		ip, ok := netip.AddrFromSlice(f.IP)
		if !ok {
			return nil, apperr.New(apperr.Invalid, "host %q resolves to an unreadable address", host)
		}
		if r := refusal(ip, c.opts.AllowLoopback); r != "" {
			return nil, apperr.New(apperr.Invalid, "host %q resolves to %s", host, r)
		}
		ips = append(ips, ip.Unmap())
	}
	return ips, nil
}
