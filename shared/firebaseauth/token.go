package firebaseauth

import (
	"crypto"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
)

// issuerPrefix followed by the project id is the issuer of its ID tokens.
const issuerPrefix = "https://securetoken.google.com/"

// clockSkew is how far the token's times may be off this machine's clock,
// the Admin SDK's allowance: iat and auth_time may be up to this far in the
// future, exp this far in the past.
const clockSkew = 300 * time.Second

// maxSubject is the longest uid Firebase issues.
const maxSubject = 128

// token is a decoded ID token: its header, the claims checked, and all
// claims for the roles.
type token struct {
	header struct {
		Algorithm string `json:"alg"`
		KeyID     string `json:"kid"`
	}
	AuthTime int64  `json:"auth_time"`
	Issuer   string `json:"iss"`
	Audience string `json:"aud"`
	Expires  int64  `json:"exp"`
	IssuedAt int64  `json:"iat"`
	Subject  string `json:"sub"`
	Firebase struct {
		SignInProvider string `json:"sign_in_provider"`
	} `json:"firebase"`
	Claims map[string]any `json:"-"`

	signed    string // header.payload, what the signature covers
	signature []byte
}

// parse decodes raw and checks everything but its signature: the header
// (RS256 with a key id, unless emulated), audience, issuer, subject and
// times. The errors say why for the logs; they hold no part of the token
// but the header's algorithm.
func parse(raw, projectID string, emulated bool, now time.Time) (*token, error) {
	if raw == "" {
		return nil, errors.New("empty token")
	}
	parts := strings.Split(raw, ".")
	if len(parts) != 3 {
		return nil, errors.New("not three segments")
	}
	tok := &token{signed: parts[0] + "." + parts[1]}
	if err := decodeSegment(parts[0], &tok.header); err != nil {
		return nil, fmt.Errorf("header: %w", err)
	}
	if err := decodeSegment(parts[1], tok); err != nil {
		return nil, fmt.Errorf("payload: %w", err)
	}
	if err := decodeSegment(parts[1], &tok.Claims); err != nil {
		return nil, fmt.Errorf("payload: %w", err)
	}
	sig, err := base64.RawURLEncoding.DecodeString(parts[2])
	if err != nil {
		return nil, fmt.Errorf("signature: %w", err)
	}
	tok.signature = sig

	// The emulator signs nothing (alg "none", no kid): only its verifier
	// lets such a token through to the claims.
	if !emulated {
		if tok.header.Algorithm != "RS256" {
			return nil, fmt.Errorf("algorithm %q, want RS256", tok.header.Algorithm)
		}
		if tok.header.KeyID == "" {
			return nil, errors.New("no key id")
		}
	}
	switch {
	case tok.Audience != projectID:
		return nil, errors.New("audience is not this project")
	case tok.Issuer != issuerPrefix+projectID:
		return nil, errors.New("issuer is not this project's")
	case tok.Subject == "":
		return nil, errors.New("no subject")
	case len(tok.Subject) > maxSubject:
		return nil, errors.New("subject longer than 128 characters")
	}
	skew := int64(clockSkew / time.Second)
	switch t := now.Unix(); {
	case tok.Expires+skew < t:
		return nil, fmt.Errorf("expired at %d", tok.Expires)
	case tok.IssuedAt-skew > t:
		return nil, fmt.Errorf("issued in the future, at %d", tok.IssuedAt)
	case tok.AuthTime == 0:
		return nil, errors.New("no auth_time")
	case tok.AuthTime-skew > t:
		return nil, fmt.Errorf("authenticated in the future, at %d", tok.AuthTime)
	}
	return tok, nil
}

// decodeSegment decodes one unpadded base64url JSON segment into v.
func decodeSegment(seg string, v any) error {
	b, err := base64.RawURLEncoding.DecodeString(seg)
	if err != nil {
		return err
	}
	return json.Unmarshal(b, v)
}

// verifySignature reports whether tok carries key's RS256 signature.
func (tok *token) verifySignature(key *rsa.PublicKey) bool {
	sum := sha256.Sum256([]byte(tok.signed))
	return rsa.VerifyPKCS1v15(key, crypto.SHA256, sum[:], tok.signature) == nil
}
