package firebaseauth

import (
	"context"
	"crypto/rsa"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"
)

// maxKeysBody bounds the certificates response; Google's is about 4 KB.
const maxKeysBody = 1 << 20

// maxKeyAge caps how long keys are cached, whatever a response says: Google
// rotates them daily (its max-age is about six hours), and a mistyped
// max-age should not pin a retired key for weeks.
const maxKeyAge = 24 * time.Hour

// keyCache holds the signing keys of the last fetch until the max-age its
// response gave, and shares one fetch among the requests that need it.
type keyCache struct {
	mu       sync.Mutex
	keys     map[string]*rsa.PublicKey // by key id
	expires  time.Time
	inflight *keyFetch
	failed   error // the last fetch's failure, remembered until failedAt+retryAfter
	failedAt time.Time
}

// keyFetch is one fetch of the signing keys; done is closed once keys or
// err is set.
type keyFetch struct {
	done chan struct{}
	keys map[string]*rsa.PublicKey
	err  error
}

// checkSignature checks that tok is signed by one of Google's current keys,
// the one its kid names. An unknown kid is the token's fault (a forgery, or
// a key retired long ago); keys that cannot be had are Unavailable.
func (v *Verifier) checkSignature(ctx context.Context, tok *token) error {
	keys, err := v.signingKeys(ctx)
	if err != nil {
		return fmt.Errorf("%w: signing keys: %w", errUnavailable, err)
	}
	key, ok := keys[tok.header.KeyID]
	if !ok {
		return fmt.Errorf("%w: no current signing key has the token's key id", errInvalid)
	}
	if !tok.verifySignature(key) {
		return fmt.Errorf("%w: bad signature", errInvalid)
	}
	return nil
}

// signingKeys returns the current keys: the cached ones until they expire,
// else those of a fetch, shared by every request that needs them meanwhile.
// A failed fetch is remembered for retryAfter. Expired keys are never used,
// not even when a fetch fails: the response's max-age is how long Google
// vouches for them.
func (v *Verifier) signingKeys(ctx context.Context) (map[string]*rsa.PublicKey, error) {
	c := &v.keys
	c.mu.Lock()
	now := v.Now()
	if c.keys != nil && now.Before(c.expires) {
		keys := c.keys
		c.mu.Unlock()
		return keys, nil
	}
	if c.failed != nil && now.Sub(c.failedAt) < retryAfter {
		err := c.failed
		c.mu.Unlock()
		return nil, err
	}
	f := c.inflight
	if f == nil {
		f = &keyFetch{done: make(chan struct{})}
		c.inflight = f
		// A caller that goes away must not fail the fetch for everyone
		// waiting on it; the client's timeout bounds it.
		go v.fetch(context.WithoutCancel(ctx), f)
	}
	c.mu.Unlock()
	select {
	case <-f.done:
		return f.keys, f.err
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// fetch runs one fetch of the keys and records its outcome in the cache.
func (v *Verifier) fetch(ctx context.Context, f *keyFetch) {
	ctx, cancel := context.WithTimeout(ctx, verifyTimeout)
	defer cancel()
	keys, maxAge, err := fetchKeys(ctx, v.Client, v.KeysURL)
	c := &v.keys
	c.mu.Lock()
	now := v.Now()
	if err != nil {
		c.failed, c.failedAt = err, now
	} else {
		c.keys, c.expires, c.failed = keys, now.Add(maxAge), nil
	}
	c.inflight = nil
	f.keys, f.err = keys, err
	c.mu.Unlock()
	close(f.done)
	if err != nil {
		slog.ErrorContext(ctx, "firebase signing keys could not be fetched; requests that need sign-in get 503",
			"error", err.Error(), "retry_in", retryAfter.String(), "hint", hint(err))
	}
}

// fetchKeys gets the certificates at url and how long they may be cached.
func fetchKeys(ctx context.Context, client *http.Client, url string) (map[string]*rsa.PublicKey, time.Duration, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return nil, 0, err
	}
	resp, err := client.Do(req)
	if err != nil {
		return nil, 0, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, 0, fmt.Errorf("certificates: %s", resp.Status)
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxKeysBody))
	if err != nil {
		return nil, 0, fmt.Errorf("certificates: %w", err)
	}
	keys, err := parseKeys(body)
	if err != nil {
		return nil, 0, fmt.Errorf("certificates: %w", err)
	}
	return keys, maxAge(resp.Header.Get("Cache-Control")), nil
}

// parseKeys reads a JSON object of key id to PEM certificate and returns
// the certificates' RSA keys. One unreadable certificate fails them all, as
// in the Admin SDK: a response that is partly wrong is not to be trusted.
func parseKeys(body []byte) (map[string]*rsa.PublicKey, error) {
	var certs map[string]string
	if err := json.Unmarshal(body, &certs); err != nil {
		return nil, err
	}
	if len(certs) == 0 {
		return nil, errors.New("no certificates")
	}
	keys := make(map[string]*rsa.PublicKey, len(certs))
	for kid, c := range certs {
		block, _ := pem.Decode([]byte(c))
		if block == nil {
			return nil, fmt.Errorf("key %s: not PEM", kid)
		}
		cert, err := x509.ParseCertificate(block.Bytes)
		if err != nil {
			return nil, fmt.Errorf("key %s: %w", kid, err)
		}
		key, ok := cert.PublicKey.(*rsa.PublicKey)
		if !ok {
			return nil, fmt.Errorf("key %s: not an RSA key", kid)
		}
		keys[kid] = key
	}
	return keys, nil
}

// maxAge is the max-age of a Cache-Control header; 0 (fetch again next
// time) when it has none, as in the Admin SDK. It is capped at maxKeyAge.
func maxAge(cacheControl string) time.Duration {
	for d := range strings.SplitSeq(cacheControl, ",") {
		name, value, _ := strings.Cut(strings.TrimSpace(d), "=")
		if strings.EqualFold(name, "max-age") {
			if s, err := strconv.ParseInt(value, 10, 64); err == nil && s > 0 {
				return time.Duration(min(s, int64(maxKeyAge/time.Second))) * time.Second
			}
			return 0
		}
	}
	return 0
}
