package httpapi

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"math"
	"net/http"
	"net/netip"
	"strconv"
	"strings"
	"time"

	"golang.org/x/time/rate"

	"github.com/partyfinder/partyfinder/shared/apperr"
	"github.com/partyfinder/partyfinder/shared/identity"
)

// Limit is a token bucket: Rate requests per second on average, Burst at
// once. A Limit whose Rate is rate.Inf lets everything through; one with
// a Rate or Burst of zero or less lets nothing through.
type Limit struct {
	Rate  rate.Limit
	Burst int
}

// Decision is a limiter's answer for one request.
type Decision struct {
	Allowed bool
	// Limit is the most requests a key can make at once: the burst.
	Limit int
	// Remaining is how many requests the key could make at once now.
	Remaining int
	// RetryAfter is, for a refused request, how long until one more would
	// be let through; zero for an allowed one.
	RetryAfter time.Duration
	// ResetAfter is how long until the key's budget is whole again
	// (Remaining == Limit), if it makes no request meanwhile.
	ResetAfter time.Duration
}

// Limiter decides whether one more request under key fits the limit l,
// and counts it if so. Keys name one budget each; the same key is always
// asked with the same limit. Local counts in this process; a Redis
// limiter counts for every instance together; Fallback joins the two.
type Limiter interface {
	Allow(ctx context.Context, key string, l Limit) (Decision, error)
}

// Policy says what a rate-limited route allows.
type Policy struct {
	// Name tells this route's budgets apart from every other route's: two
	// policies of different names never share a budget, even in one
	// Redis. Up to 64 bytes, no colon, e.g. "analytics.events".
	Name string
	// User is the limit of each signed-in user (keyed by uid).
	User Limit
	// Anonymous is the limit of each client address for requests without
	// a signed-in user.
	Anonymous Limit
	// ClientAddr returns the address that anonymous requests are counted
	// by. Default RemoteAddr; behind proxies, ForwardedFor.
	ClientAddr func(*http.Request) string

	// plainProblem leaves retryAfter out of the 429 body: RateLimit's
	// answers stay as they were.
	plainProblem bool
}

// maxName bounds Policy.Name, and so, with maxKeyPart, every key.
const maxName = 64

// RateLimit lets each signed-in user through at most user's rate, and all
// anonymous callers of this instance together at most anonymous's: the
// address a request comes from is a proxy's on Cloud Run and forwarding
// headers can be forged, so anonymous callers are not told apart. It
// counts in this process only (Local); RateLimitWith counts for every
// instance, by client address, and names its budgets. Answers carry the
// X-RateLimit-* headers of RateLimitWith; a refused one is a 429 problem
// with Retry-After.
func RateLimit(user, anonymous Limit, next http.Handler) http.Handler {
	return RateLimitWith(NewLocal(), Policy{
		Name: "local", User: user, Anonymous: anonymous,
		ClientAddr:   func(*http.Request) string { return "" },
		plainProblem: true,
	}, next)
}

// RateLimitWith lets requests through as far as l allows under p: each
// signed-in user has a budget of p.User, each client address one of
// p.Anonymous. Its keys are
//
//	{p.Name}:u:{uid}      signed-in users
//	{p.Name}:a:{address}  everyone else
//
// with uids and addresses longer than 64 bytes, or not plain printable
// ASCII, replaced by a hash, so no client can make a key long.
//
// Every answer carries X-RateLimit-Limit (the burst), X-RateLimit-Remaining
// and X-RateLimit-Reset (whole seconds until the budget is whole again).
// Beyond the limit the answer is 429 with Retry-After (whole seconds,
// rounded up) and a problem body (code rate_limited) whose retryAfter
// member says the same. When l fails the request is let through and the
// failure logged: wrap a limiter that can fail in Fallback, so limits
// hold even then. It panics on a name that is empty, longer than 64
// bytes or holds a colon.
func RateLimitWith(l Limiter, p Policy, next http.Handler) http.Handler {
	if p.Name == "" || len(p.Name) > maxName || strings.ContainsAny(p.Name, ": \t\r\n") {
		panic(fmt.Sprintf("httpapi: rate limit name %q: want 1 to %d bytes without colons or spaces", p.Name, maxName))
	}
	addr := p.ClientAddr
	if addr == nil {
		addr = RemoteAddr
	}
	userPrefix, anonPrefix := p.Name+":u:", p.Name+":a:"
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		key, lim := "", p.Anonymous
		if id, ok := identity.From(r.Context()); ok && id.UID != "" {
			key, lim = userPrefix+keyPart(id.UID), p.User
		} else {
			key = anonPrefix + keyPart(addr(r))
		}
		d, err := l.Allow(r.Context(), key, lim)
		if err != nil {
			LogError(r, "rate limit not checked: the request goes through", err, "limit", p.Name)
			next.ServeHTTP(w, r)
			return
		}
		h := w.Header()
		h.Set("X-RateLimit-Limit", strconv.Itoa(max(d.Limit, 0)))
		h.Set("X-RateLimit-Remaining", strconv.Itoa(max(d.Remaining, 0)))
		h.Set("X-RateLimit-Reset", strconv.Itoa(ceilSeconds(d.ResetAfter, 0)))
		if !d.Allowed {
			refuse(w, r, d, p.plainProblem)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// rateLimitedProblem is the problem body of a refused request. RFC 9457
// lets a problem type carry members of its own: this one says, in whole
// seconds, when to try again, as Retry-After does.
type rateLimitedProblem struct {
	Problem
	RetryAfter int `json:"retryAfter"`
}

// refuse writes the 429 answer the way Error writes any problem, with
// Retry-After and, unless plain, retryAfter in the body.
func refuse(w http.ResponseWriter, r *http.Request, d Decision, plain bool) {
	secs := ceilSeconds(d.RetryAfter, 1)
	err := apperr.New(apperr.RateLimited, "too many requests: try again in %d s", secs)
	w.Header().Set("Retry-After", strconv.Itoa(secs))
	if plain {
		Error(w, r, err)
		return
	}
	ErrorWith(w, r, err, func(p Problem) any { return rateLimitedProblem{Problem: p, RetryAfter: secs} })
}

// ceilSeconds rounds d up to whole seconds, at least least: a client told
// to wait 0 s after a refusal would come straight back.
func ceilSeconds(d time.Duration, least int) int {
	if d <= 0 {
		return least
	}
	const most = math.MaxInt32 // far beyond any real wait; keeps the header sane
	return max(least, int(min(math.Ceil(d.Seconds()), most)))
}

// maxKeyPart bounds the uid or address in a key. Firebase uids are at most
// 128 bytes but usually 28; addresses are at most 39 (IPv6).
const maxKeyPart = 64

// keyPart returns s if it is short plain printable ASCII, else a hash of
// it: uids and addresses come from clients, and keys must stay small and
// readable. Hashes start with "~", which a kept value never does, so a
// chosen value cannot take another's budget.
func keyPart(s string) string {
	if len(s) <= maxKeyPart && !strings.HasPrefix(s, "~") && plainASCII(s) {
		return s
	}
	sum := sha256.Sum256([]byte(s))
	return "~" + base64.RawURLEncoding.EncodeToString(sum[:18])
}

func plainASCII(s string) bool {
	for i := range len(s) {
		if s[i] <= ' ' || s[i] > '~' {
			return false
		}
	}
	return true
}

// RemoteAddr returns the address of the peer the request came from,
// without its port; an IPv6 address stands for its /64 network. On Cloud
// Run the peer is the platform's proxy, the same for every client: use
// ForwardedFor there.
func RemoteAddr(r *http.Request) string {
	host := r.RemoteAddr
	if ap, err := netip.ParseAddrPort(host); err == nil {
		return clientKey(ap.Addr())
	}
	if a, err := netip.ParseAddr(host); err == nil {
		return clientKey(a)
	}
	return host
}

// ForwardedFor returns a Policy.ClientAddr for a server behind hops
// proxies that each append the address they were called from to
// X-Forwarded-For: the client's address is the hops-th entry from the
// right, which no client can forge (entries further left can be).
// Requests with fewer entries did not come through the proxies and are
// counted by RemoteAddr; so is everything when hops < 1. An IPv6
// address stands for its /64 network, as in RemoteAddr.
func ForwardedFor(hops int) func(*http.Request) string {
	return func(r *http.Request) string {
		if hops < 1 {
			return RemoteAddr(r)
		}
		n := 0
		values := r.Header.Values("X-Forwarded-For")
		for i := len(values) - 1; i >= 0; i-- {
			v := values[i]
			for v != "" {
				entry := v
				if c := strings.LastIndexByte(v, ','); c >= 0 {
					entry, v = v[c+1:], v[:c]
				} else {
					v = ""
				}
				entry = strings.TrimSpace(entry)
				if entry == "" {
					continue
				}
				if n++; n == hops {
					if a, err := netip.ParseAddr(entry); err == nil {
						return clientKey(a)
					}
					if ap, err := netip.ParseAddrPort(entry); err == nil {
						return clientKey(ap.Addr())
					}
					return entry // not an address: keyPart hashes what is odd
				}
			}
		}
		return RemoteAddr(r)
	}
}

// clientKey returns the address that stands for a client: an IPv4
// address itself, and an IPv6 address's /64 network, which one
// subscriber usually holds whole (else each of its addresses would have
// a budget of its own).
func clientKey(a netip.Addr) string {
	a = a.Unmap()
	if a.Is4() {
		return a.String()
	}
	p, err := a.WithZone("").Prefix(64)
	if err != nil {
		return a.String()
	}
	return p.String()
}
