// Command attendee measures the attendee endpoints on the embedded store:
// swipes at a sustained rate, and the saved-parties list and personal
// calendar feed of a user with 100 saves. It builds and starts the real
// local server (dev sign-in, SQLite in a temporary folder), drives it with
// vegeta at fixed rates on loopback only, prints a table and, with -write,
// replaces its section of docs/PERFORMANCE.md.
//
//	go run ./scripts/bench/attendee [-write] [-duration 15s]
package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"time"

	vegeta "github.com/tsenart/vegeta/v12/lib"

	"github.com/partyfinder/partyfinder/shared/conference"
	"github.com/partyfinder/partyfinder/shared/party"
	"github.com/partyfinder/partyfinder/shared/sqlite"
)

const (
	conf    = "attendeebench"
	parties = 200 // enough for 100 saves and varied swipes
	saves   = 100
	users   = 50 // swipers, so swipes spread over users as in real use
)

// shape is one measured load.
type shape struct {
	name   string
	rate   int
	target string // goal, for the table
	goal   time.Duration
	next   func(i int) vegeta.Target
}

func main() {
	write := flag.Bool("write", false, "replace the attendee section of docs/PERFORMANCE.md")
	duration := flag.Duration("duration", 15*time.Second, "how long each fixed-rate run lasts")
	flag.Parse()
	if err := run(*write, *duration); err != nil {
		fmt.Fprintln(os.Stderr, "attendee bench:", err)
		os.Exit(1)
	}
}

func run(write bool, duration time.Duration) error {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	dir, err := os.MkdirTemp("", "partyfinder-attendee-bench-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	ids, err := seed(ctx, filepath.Join(dir, "pf.db"))
	if err != nil {
		return err
	}
	base, stop, err := startServer(ctx, dir)
	if err != nil {
		return err
	}
	defer stop()

	swipers := make([]string, users)
	for i := range swipers {
		if swipers[i], err = signIn(base, fmt.Sprintf("swiper-%d", i)); err != nil {
			return err
		}
	}
	saver, err := signIn(base, "saver")
	if err != nil {
		return err
	}
	for _, id := range ids[:saves] {
		if err := do(http.MethodPut, base+"/api/me/saves/"+id, saver, nil, http.StatusCreated); err != nil {
			return err
		}
	}
	var link struct{ Data struct{ HTTPS string } }
	if err := getJSON(base+"/api/me/calendar", saver, &link); err != nil {
		return err
	}

	actions := []string{"like", "pass", "interested", "pass"}
	auth := func(tok string) http.Header { return http.Header{"Authorization": {"Bearer " + tok}} }
	shapes := []shape{
		{name: "POST /api/swipe (50 users, 200 parties)", rate: 200, target: "p99 ≤ 20 ms", goal: 20 * time.Millisecond,
			next: func(i int) vegeta.Target {
				body := fmt.Sprintf(`{"partyId":%q,"action":%q}`, ids[(i*7)%len(ids)], actions[i%len(actions)])
				h := auth(swipers[i%users])
				h.Set("Content-Type", "application/json")
				return vegeta.Target{Method: http.MethodPost, URL: base + "/api/swipe", Body: []byte(body), Header: h}
			}},
		{name: "GET /api/me/saves (100 saves)", rate: 200, target: "p99 ≤ 10 ms", goal: 10 * time.Millisecond,
			next: func(int) vegeta.Target {
				return vegeta.Target{Method: http.MethodGet, URL: base + "/api/me/saves", Header: auth(saver)}
			}},
		{name: "GET personal calendar feed (100 saves)", rate: 200, target: "p99 ≤ 10 ms", goal: 10 * time.Millisecond,
			next: func(int) vegeta.Target { return vegeta.Target{Method: http.MethodGet, URL: link.Data.HTTPS} }},
		{name: "GET /api/me/schedule (100 saves)", rate: 200, target: "(no target)",
			next: func(int) vegeta.Target {
				return vegeta.Target{Method: http.MethodGet, URL: base + "/api/me/schedule?conference=" + conf, Header: auth(saver)}
			}},
	}
	var table strings.Builder
	table.WriteString("| Endpoint | Rate | Requests | Success | p50 | p90 | p99 | max | Target | |\n|---|--:|--:|--:|--:|--:|--:|--:|---|---|\n")
	for _, s := range shapes {
		m := attack(s, 2*time.Second) // warm-up, discarded
		m = attack(s, duration)
		verdict := ""
		if s.goal > 0 {
			verdict = "met"
			if m.Latencies.P99 > s.goal || m.Success < 1 {
				verdict = "**not met**"
			}
		}
		fmt.Fprintf(&table, "| %s | %d/s | %d | %.1f%% | %s | %s | %s | %s | %s | %s |\n", s.name, s.rate, m.Requests, m.Success*100,
			ms(m.Latencies.P50), ms(m.Latencies.P90), ms(m.Latencies.P99), ms(m.Latencies.Max), s.target, verdict)
		if len(m.Errors) > 0 {
			fmt.Fprintf(&table, "|   errors: %s | | | | | | | | | |\n", strings.Join(m.Errors, "; "))
		}
	}
	section := fmt.Sprintf("## Attendee endpoints\n\n- Date: %s\n- Machine: %d CPUs, %s\n- Method: `go run ./scripts/bench/attendee`: the real local server on a fresh SQLite file (%d parties), local dev sign-in; "+
		"vegeta at a fixed rate for %s per endpoint after a 2 s warm-up, on loopback, load generator and server sharing the machine. Swipes rotate over %d users and all parties with like/pass/interested, so they write (and replace) records; the saved list and the personal feed belong to a user with %d saves.\n\n%s",
		time.Now().UTC().Format(time.RFC1123), runtime.NumCPU(), runtime.Version(), parties, duration, users, saves, table.String())
	fmt.Println(section)
	if write {
		return writeSection("docs/PERFORMANCE.md", section)
	}
	return nil
}

func attack(s shape, d time.Duration) vegeta.Metrics {
	i := 0
	targeter := func(t *vegeta.Target) error {
		*t = s.next(i)
		i++
		return nil
	}
	atk := vegeta.NewAttacker(vegeta.Timeout(10*time.Second), vegeta.KeepAlive(true), vegeta.MaxBody(0))
	var m vegeta.Metrics
	for res := range atk.Attack(targeter, vegeta.Rate{Freq: s.rate, Per: time.Second}, d, s.name) {
		m.Add(res)
	}
	m.Close()
	return m
}

func ms(d time.Duration) string { return fmt.Sprintf("%.2f ms", float64(d)/float64(time.Millisecond)) }

// seed writes a conference of parties into a fresh SQLite file and returns their ids.
func seed(ctx context.Context, path string) ([]string, error) {
	store, err := sqlite.Open(path)
	if err != nil {
		return nil, err
	}
	defer store.Close()
	first := time.Now().UTC().AddDate(0, 0, 7).Truncate(24 * time.Hour)
	c, err := conference.New(conf, "Attendee Bench Week", "Cologne", "Europe/Berlin",
		first.Format(conference.DateLayout), first.AddDate(0, 0, 4).Format(conference.DateLayout))
	if err != nil {
		return nil, err
	}
	if _, err := store.CreateConference(ctx, c); err != nil {
		return nil, err
	}
	loc := c.Location()
	var ps []party.Party
	var ids []string
	for i := range parties {
		start := time.Date(first.Year(), first.Month(), first.Day()+i%5, 10+(i*3)%12, (i%4)*15, 0, 0, loc)
		p, err := party.New(party.Party{
			ID: party.ImportID(conf, "bench", fmt.Sprint(i)), ConferenceID: conf,
			Title: fmt.Sprintf("Bench party %d", i), Venue: "Venue", Address: "Heumarkt 1, 50667 Köln",
			Description: strings.Repeat("An evening of games and talk. ", 6),
			Start:       start, End: start.Add(2 * time.Hour), Category: party.Category{Label: "Mixer"},
			Hosts: []string{"Studio A", "Studio B"}, Price: "Free", Link: "https://example.com/p/" + fmt.Sprint(i),
			Location: &party.Point{Lat: 50.936, Lng: 6.96}, Status: party.Published, Source: "bench",
			Version: 1, CreatedAt: first, UpdatedAt: first,
		})
		if err != nil {
			return nil, err
		}
		p.Version, p.CreatedAt, p.UpdatedAt = 1, first, first
		ps = append(ps, p)
		ids = append(ids, p.ID)
	}
	return ids, store.SaveParties(ctx, ps)
}

var servingLine = regexp.MustCompile(`serving \w+ store on (http://\S+)`)

// startServer builds the local runner and starts it on a free loopback port.
func startServer(ctx context.Context, dir string) (string, func(), error) {
	bin := filepath.Join(dir, "partyfinder")
	build := exec.CommandContext(ctx, "go", "build", "-o", bin, "./scripts/partyfinder")
	build.Stderr = os.Stderr
	if err := build.Run(); err != nil {
		return "", nil, fmt.Errorf("build: %w", err)
	}
	cmd := exec.Command(bin, "serve", "--addr", "127.0.0.1:0", "--db", filepath.Join(dir, "pf.db"), "--no-seed")
	// Every swiper signs in from this one client: past the sign-in burst.
	cmd.Env = append(os.Environ(), "FIREBASE_AUTH_EMULATOR_HOST=", "PARTYFINDER_DEFAULT_CONFERENCE="+conf, fmt.Sprintf("PARTYFINDER_SIGNIN_BURST=%d", users+10))
	out, err := cmd.StdoutPipe()
	if err != nil {
		return "", nil, err
	}
	if err := cmd.Start(); err != nil {
		return "", nil, err
	}
	stop := func() { _ = cmd.Process.Signal(os.Interrupt); _ = cmd.Wait() }
	sc := bufio.NewScanner(out)
	for sc.Scan() {
		if m := servingLine.FindStringSubmatch(sc.Text()); m != nil {
			go func() { _, _ = io.Copy(io.Discard, out) }()
			return m[1], stop, nil
		}
	}
	stop()
	return "", nil, fmt.Errorf("the server exited before serving")
}

func signIn(base, uid string) (string, error) {
	body, _ := json.Marshal(map[string]string{"uid": uid})
	resp, err := http.Post(base+"/api/dev/signin", "application/json", bytes.NewReader(body))
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	var out struct{ IDToken string }
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil || out.IDToken == "" {
		return "", fmt.Errorf("dev sign-in: status %d: %v", resp.StatusCode, err)
	}
	return out.IDToken, nil
}

func do(method, url, token string, body []byte, want int) error {
	req, _ := http.NewRequest(method, url, bytes.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != want {
		b, _ := io.ReadAll(resp.Body)
		return fmt.Errorf("%s %s: %d %s", method, url, resp.StatusCode, b)
	}
	return nil
}

func getJSON(url, token string, v any) error {
	req, _ := http.NewRequest(http.MethodGet, url, nil)
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	return json.NewDecoder(resp.Body).Decode(v)
}

// writeSection replaces (or appends) the "## Attendee endpoints" section.
func writeSection(path, section string) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	const begin, end = "<!-- attendee-bench:begin -->", "<!-- attendee-bench:end -->"
	text := string(b)
	block := begin + "\n" + section + "\n" + end
	if i, j := strings.Index(text, begin), strings.Index(text, end); i >= 0 && j > i {
		text = text[:i] + block + text[j+len(end):]
	} else {
		text = strings.TrimRight(text, "\n") + "\n\n" + block + "\n"
	}
	return os.WriteFile(path, []byte(text), 0o644)
}
