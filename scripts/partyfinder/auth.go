package main

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/partyfinder/partyfinder"
	"github.com/partyfinder/partyfinder/shared/devauth"
	"github.com/partyfinder/partyfinder/shared/firebaseauth"
)

// localAuth chooses how the local run verifies users: the Firebase Auth
// emulator when FIREBASE_AUTH_EMULATOR_HOST is set (or real Firebase with
// --store firestore and credentials), else local dev sign-in, which is only
// allowed on a loopback address and never in a cloud environment. It also
// provides the calendar secret, kept beside the database when not configured.
func localAuth(cfg partyfinder.Config, addr string, out io.Writer) (partyfinder.Auth, *devauth.Auth, error) {
	auth := partyfinder.Auth{CalendarSecret: cfg.CalendarSecret}
	if auth.CalendarSecret == nil {
		secret, err := localSecret(filepath.Join(filepath.Dir(cfg.DBPath), "calendar.key"))
		if err != nil {
			return auth, nil, err
		}
		auth.CalendarSecret = secret
	}
	if os.Getenv("FIREBASE_AUTH_EMULATOR_HOST") != "" || cfg.Store == partyfinder.StoreFirestore && os.Getenv("FIRESTORE_EMULATOR_HOST") == "" {
		project := cfg.ProjectID
		if project == "" && os.Getenv(firebaseauth.EnvEmulatorHost) != "" {
			project = "demo-party" // the emulator's project in every local setup here
		}
		auth.Verifier = firebaseauth.New(project)
		fmt.Fprintln(out, "sign-in: Firebase Auth", emulatorNote())
		return auth, nil, nil
	}
	if err := devauth.Guard(addr, os.Getenv); err != nil {
		return auth, nil, fmt.Errorf("local sign-in: %w (listen on 127.0.0.1, or set FIREBASE_AUTH_EMULATOR_HOST)", err)
	}
	dev, err := devauth.New(devauth.KeyFile(cfg.DBPath))
	if err != nil {
		return auth, nil, err
	}
	auth.Verifier = dev
	fmt.Fprintln(out, "sign-in: local dev tokens from POST /api/dev/signin (loopback only)")
	return auth, dev, nil
}

func emulatorNote() string {
	if h := os.Getenv("FIREBASE_AUTH_EMULATOR_HOST"); h != "" {
		return "emulator at " + h
	}
	return "(project " + os.Getenv("GOOGLE_CLOUD_PROJECT") + ")"
}

// localSecret reads a secret from path, or makes one and writes it there
// (0600), so calendar links survive restarts of the local server.
func localSecret(path string) ([]byte, error) {
	b, err := os.ReadFile(path)
	if err == nil && len(strings.TrimSpace(string(b))) >= 32 {
		return []byte(strings.TrimSpace(string(b))), nil
	}
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	raw := make([]byte, 32)
	if _, err := rand.Read(raw); err != nil {
		return nil, err
	}
	secret := hex.EncodeToString(raw)
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, err
	}
	if err := os.WriteFile(path, []byte(secret+"\n"), 0o600); err != nil {
		return nil, fmt.Errorf("write %s: %w", path, err)
	}
	return []byte(secret), nil
}
