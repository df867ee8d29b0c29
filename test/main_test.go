// Package blackbox_test drives the real server over HTTP, the way the
// frontend and calendar apps use it, and checks every response it
// receives against the OpenAPI contract.
//
// What the server is depends on the target (target_test.go): the local
// runner (scripts/partyfinder) on SQLite with local dev sign-in, the same
// on the Firestore emulator, or the functions behind the Functions
// Framework on the emulators, routed like Firebase Hosting. Most tests
// share one server. The security tests also start a server verifying
// Firebase ID tokens with the Auth emulator, when
// FIREBASE_AUTH_EMULATOR_HOST names one (scripts/test).
package blackbox_test

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/partyfinder/partyfinder/shared/hosting"
)

var (
	repoRoot string  // the module root: the server runs there (it reads firebase.json)
	binary   string  // the built partyfinder command
	shared   *server // the server most tests talk to: a fresh store of the target with the demo seed
	api      *contract
)

func TestMain(m *testing.M) {
	flag.Parse()
	os.Exit(runMain(m))
}

func runMain(m *testing.M) int {
	var err error
	if repoRoot, err = findRepoRoot(); err != nil {
		fmt.Fprintln(os.Stderr, "blackbox:", err)
		return 1
	}
	if err := checkTarget(); errors.Is(err, errSkipRun) {
		return 0
	} else if err != nil {
		fmt.Fprintln(os.Stderr, "blackbox:", err)
		return 1
	}
	tmp, err := os.MkdirTemp("", "partyfinder-blackbox-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "blackbox:", err)
		return 1
	}
	defer os.RemoveAll(tmp)

	if api, err = loadContract(filepath.Join(repoRoot, "functions", "openapi", "openapi.yaml")); err != nil {
		fmt.Fprintln(os.Stderr, "blackbox: the OpenAPI contract:", err)
		return 1
	}
	build := func(pkg, name string) (string, bool) {
		out := filepath.Join(tmp, name)
		cmd := exec.Command("go", "build", "-o", out, pkg)
		cmd.Dir = repoRoot
		if msg, err := cmd.CombinedOutput(); err != nil {
			fmt.Fprintf(os.Stderr, "blackbox: go build %s: %v\n%s", pkg, err, msg)
			return "", false
		}
		return out, true
	}
	var ok bool
	if binary, ok = build("./scripts/partyfinder", "partyfinder"); !ok {
		return 1
	}
	if target == targetFunctions {
		// Each function is built alone, as its deploy builds it.
		if functionBinaries, err = buildFunctions(tmp); err != nil {
			fmt.Fprintln(os.Stderr, "blackbox:", err)
			return 1
		}
	}
	defer stopSpaces()
	// The organizer tests write more than a user's burst of party writes
	// (20); TestOrganizerWritesAreRateLimited counts against this one.
	started := time.Now()
	if shared, err = startOn(nil, filepath.Join(tmp, "pf.db"), []string{"PARTYFINDER_WRITE_BURST=100"}); err != nil {
		fmt.Fprintln(os.Stderr, "blackbox:", err)
		return 1
	}
	fmt.Fprintf(os.Stderr, "blackbox: target %s serving on %s (started in %v)\n", target, shared.base, time.Since(started).Round(time.Millisecond))
	code := m.Run()
	if err := stopFirebaseServer(code != 0); err != nil {
		fmt.Fprintln(os.Stderr, "blackbox: stopping the server on the Auth emulator:", err)
		if code == 0 {
			code = 1
		}
	}
	if err := shared.stop(); err != nil {
		fmt.Fprintln(os.Stderr, "blackbox: stopping the server:", err)
		if code == 0 {
			code = 1
		}
	}
	if code != 0 {
		fmt.Fprintf(os.Stderr, "blackbox: server output:\n%s\n", shared.output())
	}
	if code == 0 && flag.Lookup("test.run").Value.String() == "" {
		// A full run must have exercised every operation of the contract:
		// an endpoint added to the spec without a test fails here. Only
		// an operation the target cannot have is excused: dev sign-in is
		// the local runner's alone (the Cloud Run entry point cannot even
		// link it), so the functions target has none.
		excused := []string{}
		if target == targetFunctions {
			excused = append(excused, "devSignIn")
		}
		if missing := slices.DeleteFunc(api.unexercised(), func(id string) bool { return slices.Contains(excused, id) }); len(missing) > 0 {
			fmt.Fprintf(os.Stderr, "blackbox: no test received a 2xx response from: %s\n", strings.Join(missing, ", "))
			code = 1
		}
	}
	return code
}

// findRepoRoot walks up from the test's directory to the directory holding go.mod.
func findRepoRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("no go.mod above the test directory")
		}
		dir = parent
	}
}

// server is what tests talk to: one running partyfinder process, or on
// the functions target one process per function behind a proxy routing
// like Firebase Hosting.
type server struct {
	base string // e.g. http://127.0.0.1:41234
	db   string // its SQLite file (on Firestore, names its store); the dev sign-in key lives beside it
	cmd  *exec.Cmd
	done chan struct{} // closed when the process has exited
	err  error         // its exit status, once done

	project   string // its Firestore project; "" on SQLite
	firestore string // the Firestore emulator it uses (host:port); "" on SQLite
	// firebase says users sign in with the Auth emulator (its tokens are
	// verified); else with local dev sign-in.
	firebase bool
	name     string         // a function process: the function it serves
	fns      []*server      // the functions target: its function processes
	proxy    *http.Server   // the functions target: the stand-in for Hosting
	hosting  *hosting.Table // the functions target: the rewrites the proxy routes by

	mu  sync.Mutex
	out strings.Builder // everything it printed, for failure reports
}

// servingLine is what the server prints once it listens, whatever its
// store, with its base URL.
var servingLine = regexp.MustCompile(`^partyfinder serving [a-z]+ store on (\S+)`)

// startServer runs `partyfinder serve` on the SQLite file db, on a free
// port, and waits until /api/health answers 200. Users sign in with local
// dev sign-in (POST /api/dev/signin).
func startServer(db string, extraArgs ...string) (*server, error) {
	return startServerEnv(db, nil, extraArgs...)
}

// startServerEnv is startServer with variables added to the server's
// environment (serverEnv), e.g. the Auth emulator's address.
func startServerEnv(db string, env []string, extraArgs ...string) (*server, error) {
	args := append([]string{"serve", "--addr", "127.0.0.1:0", "--db", db}, extraArgs...)
	cmd := exec.Command(binary, args...)
	cmd.Dir = repoRoot
	cmd.Env = append(serverEnv(), env...)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	s := &server{db: db, cmd: cmd, done: make(chan struct{})}
	cmd.Stderr = &lockedWriter{s}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s: %w", binary, err)
	}
	baseURL := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		sc.Buffer(make([]byte, 64<<10), 1<<20)
		for sc.Scan() {
			line := sc.Text()
			s.write(line + "\n")
			if m := servingLine.FindStringSubmatch(line); m != nil {
				select {
				case baseURL <- m[1]:
				default:
				}
			}
		}
		s.err = cmd.Wait()
		close(s.done)
	}()
	select {
	case s.base = <-baseURL:
		s.firebase = strings.Contains(s.output(), "sign-in: Firebase Auth")
	case <-s.done:
		return nil, fmt.Errorf("partyfinder serve exited before serving (%v):\n%s", s.err, s.output())
	case <-time.After(60 * time.Second):
		_ = s.stop()
		return nil, fmt.Errorf("partyfinder serve printed no %q line in 60 s:\n%s", servingLine, s.output())
	}
	return s.healthy(30 * time.Second)
}

// healthy waits until the server's /api/health answers 200 and returns
// it; a server that does not within limit is stopped.
func (s *server) healthy(limit time.Duration) (*server, error) {
	deadline := time.Now().Add(limit)
	for {
		resp, err := http.Get(s.base + "/api/health")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return s, nil
			}
		}
		if time.Now().After(deadline) {
			_ = s.stop()
			return nil, fmt.Errorf("%s/api/health did not answer 200 in %v (last: %v):\n%s", s.base, limit, err, s.output())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// serverEnv is this process's environment without the settings that would
// point the server elsewhere than its own SQLite file, or make it verify
// tokens with the Auth emulator instead of local dev sign-in (scripts/test
// exports the emulator's address for the suites that want it).
func serverEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		if strings.HasPrefix(k, "PARTYFINDER_") || k == "K_SERVICE" || k == "K_REVISION" ||
			k == "FUNCTION_TARGET" || k == "PORT" || k == "LOG_LEVEL" ||
			k == "FIREBASE_AUTH_EMULATOR_HOST" || k == "FIRESTORE_EMULATOR_HOST" ||
			k == "GOOGLE_CLOUD_PROJECT" || k == "GCLOUD_PROJECT" || k == "REDIS_ADDR" {
			continue
		}
		env = append(env, kv)
	}
	// No sheet re-sync: a conference's sheet URL would be fetched from the
	// network, and tests talk only to loopback. Every test signs in from
	// 127.0.0.1: the sign-in limit is for TestSignInIsLimitedPerClient.
	// Popularity is read every second, not every ten minutes, for
	// TestPopularityIsShownFromFiveSaves.
	return append(env, "PARTYFINDER_STORE=sqlite", "PARTYFINDER_TRACE_EXPORTER=none", "PARTYFINDER_SYNC_INTERVAL=0",
		"PARTYFINDER_SIGNIN_BURST=1000000", "PARTYFINDER_POPULARITY_REFRESH=1s")
}

// stop ends the server as an operator would: SIGTERM, then a graceful
// shutdown; SIGKILL only if it hangs. A function process ends as Cloud
// Run ends it, by SIGTERM, which it answers by flushing and exiting on
// the signal.
func (s *server) stop() error {
	if s.proxy != nil || s.fns != nil {
		var errs []error
		if s.proxy != nil {
			errs = append(errs, s.proxy.Close())
		}
		// Cloud Run stops instances each on its own: side by side.
		fnErrs := make([]error, len(s.fns))
		var wg sync.WaitGroup
		for i, fn := range s.fns {
			wg.Go(func() { fnErrs[i] = fn.stop() })
		}
		wg.Wait()
		return errors.Join(append(errs, fnErrs...)...)
	}
	select {
	case <-s.done:
		return nil
	default:
	}
	if err := s.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	select {
	case <-s.done:
		if s.name != "" && terminated(s.err) {
			return nil
		}
		return s.err
	case <-ctx.Done():
		_ = s.cmd.Process.Kill()
		<-s.done
		return errors.New("the server ignored SIGTERM for 15 s and was killed")
	}
}

func (s *server) write(p string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.out.WriteString(p)
}

func (s *server) output() string {
	if s.fns != nil {
		var b strings.Builder
		for _, fn := range s.fns {
			fmt.Fprintf(&b, "--- function %s:\n%s", fn.name, fn.output())
		}
		return b.String()
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.out.String()
}

// terminated reports whether a process ended on SIGTERM.
func terminated(err error) bool {
	var exit *exec.ExitError
	if !errors.As(err, &exit) {
		return false
	}
	ws, ok := exit.Sys().(syscall.WaitStatus)
	return ok && ws.Signaled() && ws.Signal() == syscall.SIGTERM
}

type lockedWriter struct{ s *server }

func (w *lockedWriter) Write(p []byte) (int, error) {
	w.s.write(string(p))
	return len(p), nil
}
