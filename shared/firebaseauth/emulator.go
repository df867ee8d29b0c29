package firebaseauth

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
)

// emulatorCredential is the bearer token the Auth emulator takes as its
// admin's (the Admin SDK sends it there too).
const emulatorCredential = "Bearer owner"

// checkUser asks the emulator about tok's user, as the Admin SDK does for
// every emulator token: one that does not exist, is disabled, or revoked
// its tokens after tok was issued makes tok invalid. The emulator
// unreachable, or failing, is Unavailable.
func (v *Verifier) checkUser(ctx context.Context, tok *token) error {
	body, _ := json.Marshal(map[string]any{"localId": []string{tok.Subject}})
	url := "http://" + v.emulator + "/identitytoolkit.googleapis.com/v1/projects/" + v.projectID + "/accounts:lookup"
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("%w: %w", errUnavailable, err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", emulatorCredential)
	resp, err := v.Client.Do(req)
	if err != nil {
		return fmt.Errorf("%w: auth emulator: %w", errUnavailable, err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, maxKeysBody))
	switch {
	case err != nil:
		return fmt.Errorf("%w: auth emulator: %w", errUnavailable, err)
	case resp.StatusCode >= 500 || resp.StatusCode == http.StatusTooManyRequests:
		return fmt.Errorf("%w: auth emulator: %s", errUnavailable, resp.Status)
	case resp.StatusCode != http.StatusOK:
		// The emulator refusing the lookup of this uid: the token's fault.
		return fmt.Errorf("%w: auth emulator: user lookup %s", errInvalid, resp.Status)
	}
	var found struct {
		Users []struct {
			Disabled   bool   `json:"disabled"`
			ValidSince string `json:"validSince"` // seconds, as a string
		} `json:"users"`
	}
	if err := json.Unmarshal(raw, &found); err != nil {
		return fmt.Errorf("%w: auth emulator: %w", errUnavailable, err)
	}
	if len(found.Users) == 0 {
		return fmt.Errorf("%w: %w", errInvalid, errors.New("no such user"))
	}
	u := found.Users[0]
	if u.Disabled {
		return fmt.Errorf("%w: user disabled", errInvalid)
	}
	if since, err := strconv.ParseInt(u.ValidSince, 10, 64); err == nil && tok.IssuedAt < since {
		return fmt.Errorf("%w: token revoked", errInvalid)
	}
	return nil
}
