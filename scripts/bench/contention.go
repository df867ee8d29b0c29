package main

// The contention bench: swipes on the Firestore emulator, where one user
// hammering one party is a hot document (every swipe of that user on that
// party is a transaction on the same two documents) and many users on
// distinct parties are not.
//
//	go run ./scripts/bench contention                       # its own emulator and server, 50 swipes/s for 10 s per case
//	go run ./scripts/bench contention -rate 50 -duration 10s -users 100
//	go run ./scripts/bench contention -server /tmp/old/partyfinder   # another build of the server, to compare
//	go run ./scripts/bench contention -store sqlite -rate 500         # the same cases on the embedded store
//
// It starts the Firestore emulator unless FIRESTORE_EMULATOR_HOST names one
// on 127.0.0.1, writes a conference of its own (a fresh id per run), starts
// the real server on it with local dev sign-in, and drives POST /api/swipe
// with vegeta at a fixed rate, printing a markdown table of status counts
// and latency percentiles per case.

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"time"

	gfs "cloud.google.com/go/firestore"
	vegeta "github.com/tsenart/vegeta/v12/lib"

	"github.com/partyfinder/partyfinder/shared/conference"
	"github.com/partyfinder/partyfinder/shared/firestore"
	"github.com/partyfinder/partyfinder/shared/party"
	"github.com/partyfinder/partyfinder/shared/sqlite"
)

// contentionConfig is the contention bench's command line.
type contentionConfig struct {
	rate     int
	duration time.Duration
	users    int
	project  string
	server   string // a server binary to run instead of building this checkout's
	timeout  time.Duration
	store    string // firestore or sqlite
}

// contentionCase is one measured load.
type contentionCase struct {
	name string
	next func(i int) vegeta.Target
}

// contentionResult is what one case measured.
type contentionResult struct {
	name               string
	requests           uint64
	statuses           map[string]int // "200": 493, "503": 7, "error": 0 (no answer within the timeout)
	p50, p90, p99, max time.Duration
}

func runContention(ctx context.Context, args []string, stdout io.Writer) error {
	var cfg contentionConfig
	fs := flag.NewFlagSet("bench contention", flag.ContinueOnError)
	fs.IntVar(&cfg.rate, "rate", 50, "swipes per second in each case")
	fs.DurationVar(&cfg.duration, "duration", 10*time.Second, "length of each case")
	fs.IntVar(&cfg.users, "users", 100, "users (and parties) of the distinct-parties case")
	fs.StringVar(&cfg.project, "project", "demo-party", "Google Cloud project id on the emulator")
	fs.StringVar(&cfg.server, "server", "", "run this server binary instead of building ./scripts/partyfinder")
	fs.DurationVar(&cfg.timeout, "timeout", 30*time.Second, "how long the load generator waits for an answer")
	fs.StringVar(&cfg.store, "store", "firestore", "the server's store: firestore (the emulator) or sqlite (a fresh file)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	root, err := repoRoot()
	if err != nil {
		return err
	}
	tmp, err := os.MkdirTemp("", "partyfinder-contention-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)

	bin := cfg.server
	if bin == "" {
		step(stdout, "building the server")
		if bin, err = buildServer(ctx, root, tmp); err != nil {
			return err
		}
	}
	confID := "contention" + strconv.FormatInt(time.Now().Unix(), 36)
	db := filepath.Join(tmp, "partyfinder.db")
	env := []string{"PARTYFINDER_EVENTS=inproc", "PARTYFINDER_DEFAULT_CONFERENCE=" + confID,
		"PARTYFINDER_TRACE_EXPORTER=none", "LOG_LEVEL=warn", "FIREBASE_AUTH_EMULATOR_HOST=", "REDIS_ADDR=",
		"PARTYFINDER_SIGNIN_BURST=" + strconv.Itoa(cfg.users+10)}
	var ids []string
	switch cfg.store {
	case "firestore":
		stopEmulator, err := useFirestoreEmulator(stdout, tmp, cfg.project)
		if err != nil {
			return err
		}
		defer stopEmulator()
		step(stdout, "writing conference %s with %d parties into Firestore at %s", confID, cfg.users, os.Getenv("FIRESTORE_EMULATOR_HOST"))
		client, err := gfs.NewClient(ctx, cfg.project)
		if err != nil {
			return err
		}
		ids, err = seedContention(ctx, firestore.New(client), confID, cfg.users)
		client.Close()
		if err != nil {
			return fmt.Errorf("seed: %w", err)
		}
		env = append(env, "FIRESTORE_EMULATOR_HOST="+os.Getenv("FIRESTORE_EMULATOR_HOST"), "GOOGLE_CLOUD_PROJECT="+cfg.project, "PARTYFINDER_STORE=firestore")
	case "sqlite":
		step(stdout, "writing conference %s with %d parties into %s", confID, cfg.users, db)
		store, err := sqlite.Open(db)
		if err != nil {
			return err
		}
		ids, err = seedContention(ctx, store, confID, cfg.users)
		store.Close()
		if err != nil {
			return fmt.Errorf("seed: %w", err)
		}
		env = append(env, "PARTYFINDER_STORE=sqlite")
	default:
		return fmt.Errorf("-store %q: want firestore or sqlite", cfg.store)
	}

	addr, err := freeAddr()
	if err != nil {
		return err
	}
	step(stdout, "starting the server on %s", addr)
	srv, err := startProcess(root, "", env, bin, "serve", "--store", cfg.store, "--no-seed", "--addr", addr, "--db", db)
	if err != nil {
		return err
	}
	defer srv.stop()
	base := "http://" + addr
	if err := waitOK(srv, base+"/api/health", 30*time.Second); err != nil {
		return err
	}

	tokens := make([]string, cfg.users)
	for i := range tokens {
		if tokens[i], err = devToken(base, fmt.Sprintf("contender-%d", i)); err != nil {
			return err
		}
	}
	swipe := func(token, partyID, action string) vegeta.Target {
		h := http.Header{"Authorization": {"Bearer " + token}, "Content-Type": {"application/json"}}
		return vegeta.Target{Method: http.MethodPost, URL: base + "/api/swipe", Header: h,
			Body: []byte(fmt.Sprintf(`{"partyId":%q,"action":%q}`, partyID, action))}
	}
	hot := ids[0]
	cases := []contentionCase{
		{name: "one user, one party, the same decision (like) again and again",
			next: func(int) vegeta.Target { return swipe(tokens[0], hot, "like") }},
		{name: "one user, one party, alternating like and pass (every swipe a change)",
			next: func(i int) vegeta.Target { return swipe(tokens[0], hot, []string{"pass", "like"}[i%2]) }},
		{name: fmt.Sprintf("%d users, each on a party of their own, alternating like and pass", cfg.users),
			next: func(i int) vegeta.Target {
				u := i % cfg.users
				return swipe(tokens[u], ids[u], []string{"like", "pass"}[(i/cfg.users)%2])
			}},
	}
	// The hot party's decision exists before the first case, as it does
	// for a user who taps again.
	if err := post(base, tokens[0], hot, "like"); err != nil {
		return err
	}
	var results []contentionResult
	for _, c := range cases {
		step(stdout, "%s: %d/s for %s", c.name, cfg.rate, cfg.duration)
		r := attackCase(c, cfg.rate, cfg.duration, cfg.timeout)
		results = append(results, r)
		step(stdout, "  %s", r.statusText())
		// Let the emulator finish what the case left behind.
		time.Sleep(3 * time.Second)
	}
	fmt.Fprintln(stdout)
	fmt.Fprintln(stdout, contentionMarkdown(cfg, results))
	return nil
}

// seedContention writes a conference with n published parties and returns
// their ids.
func seedContention(ctx context.Context, store seedStore, confID string, n int) ([]string, error) {
	first := time.Now().UTC().AddDate(0, 0, 7).Truncate(24 * time.Hour)
	c, err := conference.New(confID, "Contention Week", "Cologne", "Europe/Berlin",
		first.Format(conference.DateLayout), first.AddDate(0, 0, 4).Format(conference.DateLayout))
	if err != nil {
		return nil, err
	}
	if _, err := store.CreateConference(ctx, c); err != nil {
		return nil, err
	}
	var ps []party.Party
	var ids []string
	for i := range n {
		start := time.Date(first.Year(), first.Month(), first.Day()+i%5, 10+(i*3)%12, (i%4)*15, 0, 0, c.Location())
		p, err := party.New(party.Party{
			ID: party.ImportID(confID, "bench", strconv.Itoa(i)), ConferenceID: confID,
			Title: fmt.Sprintf("Contended party %d", i), Venue: "Venue", Address: "Heumarkt 1, 50667 Köln",
			Start: start, End: start.Add(2 * time.Hour), Category: party.Category{Label: "Mixer"},
			Status: party.Published, Source: "bench",
		})
		if err != nil {
			return nil, err
		}
		p.Version, p.CreatedAt, p.UpdatedAt = 1, first, first
		ps = append(ps, p)
		ids = append(ids, p.ID)
	}
	for lo := 0; lo < len(ps); lo += party.MaxBatch {
		if err := store.SaveParties(ctx, ps[lo:min(lo+party.MaxBatch, len(ps))]); err != nil {
			return nil, err
		}
	}
	return ids, nil
}

// devToken signs uid in with local dev sign-in.
func devToken(base, uid string) (string, error) {
	body, _ := json.Marshal(map[string]string{"uid": uid})
	resp, err := http.Post(base+"/api/dev/signin", "application/json", bytes.NewReader(body))
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	var out struct{ IDToken string }
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil || out.IDToken == "" {
		return "", fmt.Errorf("dev sign-in of %s: status %d: %v", uid, resp.StatusCode, err)
	}
	return out.IDToken, nil
}

// post sends one swipe and wants 200.
func post(base, token, partyID, action string) error {
	req, _ := http.NewRequest(http.MethodPost, base+"/api/swipe",
		strings.NewReader(fmt.Sprintf(`{"partyId":%q,"action":%q}`, partyID, action)))
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(resp.Body)
		return fmt.Errorf("swipe: %d %s", resp.StatusCode, b)
	}
	return nil
}

// attackCase drives the case at rate for d and counts every answer by
// status; latencies are of every answer, whatever its status.
func attackCase(c contentionCase, rate int, d, timeout time.Duration) contentionResult {
	i := 0
	targeter := func(t *vegeta.Target) error {
		*t = c.next(i)
		i++
		return nil
	}
	atk := vegeta.NewAttacker(vegeta.Timeout(timeout), vegeta.KeepAlive(true), vegeta.MaxBody(0),
		vegeta.MaxWorkers(uint64(rate)*uint64(timeout/time.Second+1)))
	var m vegeta.Metrics
	r := contentionResult{name: c.name, statuses: map[string]int{}}
	for res := range atk.Attack(targeter, vegeta.Rate{Freq: rate, Per: time.Second}, d, c.name) {
		m.Add(res)
		if res.Code == 0 {
			r.statuses["no answer"]++
		} else {
			r.statuses[strconv.Itoa(int(res.Code))]++
		}
	}
	m.Close()
	r.requests = m.Requests
	r.p50, r.p90, r.p99, r.max = m.Latencies.P50, m.Latencies.P90, m.Latencies.P99, m.Latencies.Max
	return r
}

func (r contentionResult) statusText() string {
	keys := make([]string, 0, len(r.statuses))
	for k := range r.statuses {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = fmt.Sprintf("%d × %s", r.statuses[k], k)
	}
	return strings.Join(parts, ", ")
}

func contentionMarkdown(cfg contentionConfig, rs []contentionResult) string {
	var b strings.Builder
	where := "on the Firestore emulator"
	if cfg.store == "sqlite" {
		where = "on the embedded SQLite store"
	}
	fmt.Fprintf(&b, "Swipes %s, %s, %d CPUs, %s: `go run ./scripts/bench contention -store %s -rate %d -duration %s -users %d`; "+
		"vegeta at %d swipes/s for %s per case, on loopback, waiting up to %s for each answer.\n\n",
		where, time.Now().UTC().Format("2006-01-02"), runtime.NumCPU(), runtime.Version(), cfg.store, cfg.rate, cfg.duration, cfg.users, cfg.rate, cfg.duration, cfg.timeout)
	b.WriteString("| Case | Requests | Answers | p50 | p90 | p99 | max |\n|---|--:|---|--:|--:|--:|--:|\n")
	for _, r := range rs {
		fmt.Fprintf(&b, "| %s | %d | %s | %s | %s | %s | %s |\n", r.name, r.requests, r.statusText(),
			dur(r.p50), dur(r.p90), dur(r.p99), dur(r.max))
	}
	return b.String()
}

// dur shows a latency in ms below a second and in s above.
func dur(d time.Duration) string {
	if d < time.Second {
		return fmt.Sprintf("%.1f ms", float64(d)/float64(time.Millisecond))
	}
	return fmt.Sprintf("%.2f s", d.Seconds())
}
