package blackbox_test

// The suite runs against one of three targets, chosen by
// PARTYFINDER_BLACKBOX_TARGET:
//
//   - runner (the default): the local runner (scripts/partyfinder) on a
//     fresh SQLite file, users signing in with local dev sign-in;
//   - firestore: the same runner on the Firestore emulator
//     (FIRESTORE_EMULATOR_HOST), each store a project of its own, so runs
//     and servers do not see each other's data; dev sign-in still works,
//     as the runner offers it whenever FIREBASE_AUTH_EMULATOR_HOST is unset;
//   - functions: each HTTP function built alone as its deploy builds it
//     (scripts/build-function), one process per function behind the
//     Functions Framework as Cloud Run runs it, on
//     Firestore with tokens verified by the Auth emulator, behind a reverse
//     proxy that routes like Firebase Hosting from firebase.json's rewrites.
//
// Tests ask the server they talk to, not the target, what it offers
// (s.firebase: how users sign in; s.reaches: whether a path reaches a
// function at all), and skip with skipOn where a target truly cannot do
// what they check.

import (
	"bufio"
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	gfs "cloud.google.com/go/firestore"
	"google.golang.org/api/option"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"

	"github.com/partyfinder/partyfinder"
	"github.com/partyfinder/partyfinder/shared/apperr"
	"github.com/partyfinder/partyfinder/shared/demo"
	"github.com/partyfinder/partyfinder/shared/firestore"
	"github.com/partyfinder/partyfinder/shared/hosting"
	"github.com/partyfinder/partyfinder/shared/testenv"
)

// The targets.
const (
	targetRunner    = "runner"
	targetFirestore = "firestore"
	targetFunctions = "functions"
)

// envTarget chooses the target.
const envTarget = "PARTYFINDER_BLACKBOX_TARGET"

// target is the target of this run.
var target = func() string {
	if t := os.Getenv(envTarget); t != "" {
		return t
	}
	return targetRunner
}()

// functionBinaries are the HTTP functions, each built alone by
// scripts/build-function (functions target only), by name.
var functionBinaries map[string]string

// buildFunctions builds every HTTP function into dir, two at a time.
func buildFunctions(dir string) (map[string]string, error) {
	names := partyfinder.FunctionNames()
	out := make(map[string]string, len(names))
	errs := make([]error, len(names))
	sem := make(chan struct{}, 2)
	var wg sync.WaitGroup
	for i, name := range names {
		out[name] = filepath.Join(dir, "function-"+name)
		wg.Add(1)
		go func() {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			cmd := exec.Command(filepath.Join(repoRoot, "scripts", "build-function"), name, out[name])
			cmd.Dir = repoRoot
			if msg, err := cmd.CombinedOutput(); err != nil {
				errs[i] = fmt.Errorf("scripts/build-function %s: %v\n%s", name, err, msg)
			}
		}()
	}
	wg.Wait()
	return out, errors.Join(errs...)
}

// functionsRefresh is PARTYFINDER_FEED_REFRESH of the function processes.
// Each process learns of the others' writes by the store's revision check
// (there is no relay between functions), so read-your-writes across
// functions is this interval away; the deployed default is 5 s.
const functionsRefresh = 100 * time.Millisecond

// checkTarget says whether this run's target can run here: nil when it
// can; errSkipRun (after saying why) when its emulators are missing
// outside CI; an error otherwise.
func checkTarget() error {
	var missing []string
	switch target {
	case targetRunner:
		return nil
	case targetFirestore:
		if os.Getenv("FIRESTORE_EMULATOR_HOST") == "" {
			missing = append(missing, "FIRESTORE_EMULATOR_HOST is not set (start the Firestore emulator; scripts/test does)")
		}
	case targetFunctions:
		if os.Getenv("FIREBASE_AUTH_EMULATOR_HOST") == "" {
			missing = append(missing, "FIREBASE_AUTH_EMULATOR_HOST is not set (start the Auth emulator; scripts/test does)")
		}
		if _, err := exec.LookPath(firestoreEmulatorBinary()); err != nil {
			missing = append(missing, "the Firestore emulator is not installed at "+firestoreEmulatorBinary()+" (gcloud components install cloud-firestore-emulator)")
		}
		if _, err := exec.LookPath("java"); err != nil {
			missing = append(missing, "the Firestore emulator needs java, which is not installed")
		}
	default:
		return fmt.Errorf("%s=%q: want runner, firestore or functions", envTarget, target)
	}
	if len(missing) == 0 {
		return nil
	}
	why := fmt.Sprintf("the %s target needs: %s", target, strings.Join(missing, "; "))
	if testenv.Required() {
		return errors.New(why + "; CI=true or PARTYFINDER_REQUIRE_EMULATORS=1 require it")
	}
	fmt.Fprintf(os.Stderr, "blackbox: SKIP: %s\n", why)
	return errSkipRun
}

var errSkipRun = errors.New("the target cannot run here")

// skipOn skips the test on the named targets, saying why: for a test that
// truly depends on what the other targets are (every skip is a gap).
func skipOn(t *testing.T, why string, targets ...string) {
	t.Helper()
	if slices.Contains(targets, target) {
		t.Skipf("SKIP on the %s target: %s", target, why)
	}
}

// startOn starts a server of the target's kind on the store named by db,
// with env added to every process's environment (later values win).
// Servers started on the same db share one store: a restart finds the
// data. A per-test store's emulator, if it has one, is stopped when tb
// ends; the shared server's (tb nil) at the end of the run.
func startOn(tb testing.TB, db string, env []string) (*server, error) {
	switch target {
	case targetFirestore:
		// Users of a server verifying the Auth emulator's tokens are of
		// its project, so that server's store is that project on an
		// emulator of its own; any other runner takes a fresh project on
		// the shared emulator.
		auth := envValue(env, "FIREBASE_AUTH_EMULATOR_HOST")
		sp, err := spaceFor(tb, db, auth != "" && auth == os.Getenv("FIREBASE_AUTH_EMULATOR_HOST"))
		if err != nil {
			return nil, err
		}
		s, err := startServerEnv(db, append(sp.env(), env...))
		if err != nil {
			return nil, err
		}
		s.project, s.firestore = sp.project, sp.host
		return s, nil
	case targetFunctions:
		sp, err := spaceFor(tb, db, true)
		if err != nil {
			return nil, err
		}
		return startFunctions(db, sp, env)
	}
	return startServerEnv(db, env)
}

// envValue is the last value of key in env, "" if none.
func envValue(env []string, key string) string {
	v := ""
	for _, kv := range env {
		if k, val, ok := strings.Cut(kv, "="); ok && k == key {
			v = val
		}
	}
	return v
}

// space is where a store lives on Firestore: a project on an emulator.
type space struct {
	project string
	host    string // the emulator's host:port
}

// env points a runner or a function at the space.
func (sp *space) env() []string {
	return []string{"PARTYFINDER_STORE=firestore", "FIRESTORE_EMULATOR_HOST=" + sp.host, "GOOGLE_CLOUD_PROJECT=" + sp.project}
}

var spaces = struct {
	sync.Mutex
	byDB    map[string]*space
	cleanup []func() // emulators of the shared server's space, stopped at the end
}{byDB: map[string]*space{}}

// spaceFor returns the space of the store named db, making it on first
// use: with own, on an emulator of its own under the Auth emulator's
// project (the Auth emulator issues tokens for that project alone, and
// servers verifying them must be of it); else under a fresh project on
// the shared emulator.
func spaceFor(tb testing.TB, db string, own bool) (*space, error) {
	spaces.Lock()
	defer spaces.Unlock()
	if sp, ok := spaces.byDB[db]; ok {
		return sp, nil
	}
	sp := &space{project: "pf-blackbox-" + strings.ToLower(rand.Text()[:10]), host: os.Getenv("FIRESTORE_EMULATOR_HOST")}
	if own {
		host, stop, err := launchFirestoreEmulator("")
		if err != nil {
			return nil, err
		}
		sp.project, sp.host = emulatorProject, host
		if tb != nil {
			tb.Cleanup(stop)
		} else {
			spaces.cleanup = append(spaces.cleanup, stop)
		}
	}
	spaces.byDB[db] = sp
	return sp, nil
}

// stopSpaces stops the emulators of the shared server's store.
func stopSpaces() {
	spaces.Lock()
	defer spaces.Unlock()
	for _, stop := range spaces.cleanup {
		stop()
	}
	spaces.cleanup = nil
}

// firestoreEmulatorBinary is the Firestore emulator's launcher.
func firestoreEmulatorBinary() string {
	if bin := os.Getenv("FIRESTORE_EMULATOR"); bin != "" {
		return bin
	}
	return "/usr/lib/google-cloud-sdk/platform/cloud-firestore-emulator/cloud_firestore_emulator"
}

// launchFirestoreEmulator starts a Firestore emulator of the caller's own
// on a free port (calling Firestore triggers at functionsAddr, if any) and
// returns its host:port and a function that kills it (its whole process
// group: the launcher forks a JVM). A port another process took between
// its pick and the emulator's bind (suites running side by side) costs a
// retry on another one, not the run.
func launchFirestoreEmulator(functionsAddr string) (host string, stop func(), err error) {
	for attempt := 1; ; attempt++ {
		host, stop, err = launchFirestoreEmulatorOnce(functionsAddr)
		if err == nil || attempt == 3 || !strings.Contains(err.Error(), "BindException") && !strings.Contains(err.Error(), "Address already in use") {
			return host, stop, err
		}
	}
}

func launchFirestoreEmulatorOnce(functionsAddr string) (host string, stop func(), err error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", nil, err
	}
	port := fmt.Sprint(ln.Addr().(*net.TCPAddr).Port)
	ln.Close()
	host = "127.0.0.1:" + port
	logFile, err := os.CreateTemp("", "firestore-emulator-*.log")
	if err != nil {
		return "", nil, err
	}
	args := []string{"--host=127.0.0.1", "--port=" + port, "--project_id=" + emulatorProject}
	if functionsAddr != "" {
		args = append(args, "--functions_emulator="+functionsAddr)
	}
	cmd := exec.Command(firestoreEmulatorBinary(), args...)
	cmd.Stdout, cmd.Stderr = logFile, logFile
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		logFile.Close()
		os.Remove(logFile.Name())
		return "", nil, fmt.Errorf("start the Firestore emulator: %w", err)
	}
	exited := make(chan struct{})
	go func() { _ = cmd.Wait(); close(exited) }()
	var once sync.Once
	stop = func() {
		once.Do(func() {
			_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
			<-exited
			logFile.Close()
			os.Remove(logFile.Name())
		})
	}
	logOf := func() string { b, _ := os.ReadFile(logFile.Name()); return string(b) }
	deadline := time.Now().Add(60 * time.Second)
	for {
		resp, err := http.Get("http://" + host + "/")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return host, stop, nil
			}
		}
		select {
		case <-exited:
			out := logOf()
			stop()
			return "", nil, fmt.Errorf("the Firestore emulator exited before it was ready:\n%s", out)
		default:
		}
		if time.Now().After(deadline) {
			out := logOf()
			stop()
			return "", nil, fmt.Errorf("the Firestore emulator was not ready in 60 s (last: %v):\n%s", err, out)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// seedFirestore stores the demo conference in an empty Firestore space,
// as the local runner seeds an empty store: the deployed functions seed
// nothing.
func seedFirestore(sp *space) error {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	conn, err := grpc.NewClient(sp.host, grpc.WithTransportCredentials(insecure.NewCredentials()),
		grpc.WithPerRPCCredentials(emulatorOwner{}))
	if err != nil {
		return err
	}
	client, err := gfs.NewClient(ctx, sp.project, option.WithGRPCConn(conn))
	if err != nil {
		conn.Close()
		return err
	}
	store := firestore.New(client)
	defer store.Close()
	cs, err := store.Conferences(ctx)
	if err != nil || len(cs) > 0 {
		return err
	}
	conf, parties := demo.Data(time.Now())
	if _, err := store.CreateConference(ctx, conf); err != nil && !apperr.Is(err, apperr.Conflict) {
		return err
	}
	return store.SaveParties(ctx, parties)
}

// emulatorOwner is the credential the Firestore emulator takes for an
// administrator's client (as the Go client sends it to an emulator).
type emulatorOwner struct{}

func (emulatorOwner) GetRequestMetadata(context.Context, ...string) (map[string]string, error) {
	return map[string]string{"authorization": "Bearer owner"}, nil
}

func (emulatorOwner) RequireTransportSecurity() bool { return false }

// calendarSecret is the deployment's PARTYFINDER_CALENDAR_SECRET: one
// secret for every function, as the deployment mounts it into each (the
// me function issues calendar links, the calendar function serves them).
var calendarSecret = "blackbox-" + rand.Text() + rand.Text()

// startFunctions starts the functions target on the space: one process of
// each HTTP function, built alone (FUNCTION_TARGET names it), configured as
// the deployment configures them, behind a reverse proxy routing like
// Firebase Hosting. The demo conference is seeded into an empty store.
func startFunctions(db string, sp *space, env []string) (*server, error) {
	if err := seedFirestore(sp); err != nil {
		return nil, fmt.Errorf("seed the demo conference into %s on %s: %w", sp.project, sp.host, err)
	}
	rewrites, err := hosting.Load(filepath.Join(repoRoot, "firebase.json"), partyfinder.FunctionNames())
	if err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	s := &server{base: "http://" + ln.Addr().String(), db: db, project: sp.project, firestore: sp.host,
		firebase: true, hosting: hosting.NewTable(rewrites), done: make(chan struct{})}
	close(s.done)
	common := append(serverEnv(), sp.env()...)
	common = append(common,
		"LOCAL_ONLY=true",
		"FIREBASE_AUTH_EMULATOR_HOST="+os.Getenv("FIREBASE_AUTH_EMULATOR_HOST"),
		"PARTYFINDER_CALENDAR_SECRET="+calendarSecret,
		"PARTYFINDER_PUBLIC_URL="+s.base,
		"PARTYFINDER_CORS_ORIGINS=http://localhost:*",
		"PARTYFINDER_FEED_REFRESH="+functionsRefresh.String(),
	)
	byName := map[string]*server{}
	for _, name := range partyfinder.FunctionNames() {
		fn, err := startFunction(name, append(slices.Clone(common), env...))
		if err != nil {
			ln.Close()
			_ = s.stop()
			return nil, err
		}
		s.fns = append(s.fns, fn)
		byName[name] = fn
	}
	s.proxy = &http.Server{Handler: hostingProxy(s.hosting, byName), ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = s.proxy.Serve(ln) }()
	return s.healthy(60 * time.Second)
}

// startFunction runs one function as Cloud Run runs it: the buildpack's
// main with FUNCTION_TARGET, PORT and K_SERVICE (the service is the
// function's name in lower case, as scripts/deploy names it).
func startFunction(name string, env []string) (*server, error) {
	for attempt := 0; ; attempt++ {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, err
		}
		port := fmt.Sprint(ln.Addr().(*net.TCPAddr).Port)
		ln.Close()
		cmd := exec.Command(functionBinaries[name])
		cmd.Dir = repoRoot
		// Should the test binary die, its functions die with it.
		cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
		cmd.Env = append(env, "FUNCTION_TARGET="+name, "PORT="+port,
			"K_SERVICE="+strings.ToLower(name), "K_REVISION="+strings.ToLower(name)+"-00001-blackbox")
		s := &server{name: name, base: "http://127.0.0.1:" + port, cmd: cmd, done: make(chan struct{})}
		stdout, err := cmd.StdoutPipe()
		if err != nil {
			return nil, err
		}
		cmd.Stderr = &lockedWriter{s}
		if err := cmd.Start(); err != nil {
			return nil, fmt.Errorf("start %s: %w", functionBinaries[name], err)
		}
		go func() {
			sc := bufio.NewScanner(stdout)
			sc.Buffer(make([]byte, 64<<10), 1<<20)
			for sc.Scan() {
				s.write(sc.Text() + "\n")
			}
			s.err = cmd.Wait()
			close(s.done)
		}()
		// The framework prints nothing when it serves one target: wait
		// until it accepts connections.
		deadline := time.Now().Add(30 * time.Second)
		for {
			c, err := net.DialTimeout("tcp", "127.0.0.1:"+port, time.Second)
			if err == nil {
				c.Close()
				return s, nil
			}
			select {
			case <-s.done:
			default:
				if time.Now().Before(deadline) {
					time.Sleep(20 * time.Millisecond)
					continue
				}
				_ = s.stop()
				return nil, fmt.Errorf("function %s did not listen on %s in 30 s:\n%s", name, port, s.output())
			}
			break
		}
		// It exited: most likely another process took the port between
		// its pick and the start. Try another.
		if attempt == 3 {
			return nil, fmt.Errorf("function %s exited before serving (%v):\n%s", name, s.err, s.output())
		}
	}
}

// hostingProxy routes like Firebase Hosting: a path that a rewrite in
// firebase.json covers goes to that function (the first matching rewrite
// wins), with the request's path and query as sent and the caller's
// address appended to X-Forwarded-For, as Google's front end does; any
// other path is Hosting's own, which serves public/ and else its 404 page.
// It caches nothing (Hosting's CDN would, by Cache-Control).
func hostingProxy(table *hosting.Table, fns map[string]*server) http.Handler {
	proxies := make([]http.Handler, len(table.Rewrites()))
	transport := &http.Transport{DisableCompression: true, MaxIdleConnsPerHost: 32}
	for i, rw := range table.Rewrites() {
		u, _ := url.Parse(fns[rw.Function].base)
		proxies[i] = &httputil.ReverseProxy{
			Rewrite: func(pr *httputil.ProxyRequest) {
				pr.SetURL(u)
				// Hosting passes the query on as sent (ReverseProxy would
				// drop what does not parse) and appends the caller's
				// address to the X-Forwarded-For it was sent (ReverseProxy
				// would drop that too).
				pr.Out.URL.RawQuery = pr.In.URL.RawQuery
				pr.Out.Header["X-Forwarded-For"] = pr.In.Header["X-Forwarded-For"]
				pr.SetXForwarded()
			},
			Transport: transport,
		}
	}
	static := http.FileServer(http.Dir(filepath.Join(repoRoot, "public")))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if i, ok := table.Route(r.URL.Path); ok {
			proxies[i].ServeHTTP(w, r)
			return
		}
		if r.URL.Path == "/" || r.URL.Path == "/index.html" {
			static.ServeHTTP(w, r)
			return
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.WriteHeader(http.StatusNotFound)
		io.WriteString(w, "<!doctype html><title>Page Not Found</title><h1>Page Not Found</h1>\n")
	})
}

// reaches reports whether a request for path reaches the product: always
// on the runner, which answers every path itself; behind Hosting only
// when a rewrite covers the path (Hosting answers the others with its own
// 404 page, which no code of ours writes).
func (s *server) reaches(path string) bool {
	if s.hosting == nil {
		return true
	}
	if i := strings.IndexAny(path, "?#"); i >= 0 {
		path = path[:i]
	}
	_, ok := s.hosting.Route(path)
	return ok
}

// importCommand is `partyfinder import` with args into the store named by
// db, as an organiser runs it next to the server: on the SQLite file, or
// with --store firestore on the store's Firestore project.
func importCommand(t *testing.T, db string, args ...string) *exec.Cmd {
	t.Helper()
	env := serverEnv()
	if target == targetRunner {
		args = append([]string{"import", "--db", db}, args...)
	} else {
		sp, err := spaceFor(t, db, target == targetFunctions)
		if err != nil {
			t.Fatal(err)
		}
		args = append([]string{"import", "--store", "firestore"}, args...)
		env = append(env, sp.env()...)
	}
	cmd := exec.Command(binary, args...)
	cmd.Dir = repoRoot
	cmd.Env = env
	return cmd
}

// hostingAnswer sends a request for a path no rewrite covers to the
// stand-in for Hosting, which answers it itself: no contract applies.
func hostingAnswer(t *testing.T, s *server, method, path string, body []byte) *result {
	t.Helper()
	req, err := http.NewRequest(method, s.base+path, strings.NewReader(string(body)))
	if err != nil {
		t.Fatal(err)
	}
	resp, err := client.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	return &result{Status: resp.StatusCode, Header: resp.Header, Raw: raw, Body: raw}
}

// crossFunctionBound is how long a read behind Hosting may lag a write
// made through another function: a few of the processes' revision checks
// (functionsRefresh) and the rebuild after one, with room for a loaded
// machine.
const crossFunctionBound = 5 * time.Second

// consistent checks what a read shows after a write made through another
// function. The runner serves every function from one process, whose
// writes reach its own caches at once (read-your-writes): check must hold
// at the first try. Behind Hosting each function is a process of its own,
// which learns of another's write at its next revision check of the store
// (PARTYFINDER_FEED_REFRESH, functionsRefresh here; there is no relay
// between functions): check is tried again until it holds, for up to
// crossFunctionBound. check returns what is wrong, or nil.
func consistent(t testing.TB, s *server, check func() error) {
	t.Helper()
	start := time.Now()
	for {
		err := check()
		if err == nil {
			if s.fns != nil && time.Since(start) > functionsRefresh {
				t.Logf("another function's write showed after %v", time.Since(start).Round(time.Millisecond))
			}
			return
		}
		if s.fns == nil || time.Since(start) > crossFunctionBound {
			if s.fns != nil {
				t.Errorf("after %v (a write through another function): %v", crossFunctionBound, err)
			} else {
				t.Error(err)
			}
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
}

var (
	clientsMu sync.Mutex
	clients   = map[string]*http.Client{}
)

// clientFrom is a client like client whose connections come from the
// loopback address ip (any of 127.0.0.0/8), as a caller elsewhere would.
func clientFrom(t testing.TB, ip string) *http.Client {
	t.Helper()
	clientsMu.Lock()
	defer clientsMu.Unlock()
	if c, ok := clients[ip]; ok {
		return c
	}
	addr, err := net.ResolveTCPAddr("tcp", ip+":0")
	if err != nil || !addr.IP.IsLoopback() {
		t.Fatalf("%s is not a loopback address", ip)
	}
	dialer := &net.Dialer{LocalAddr: addr, Timeout: 10 * time.Second}
	c := &http.Client{
		Transport:     &http.Transport{DisableCompression: true, DialContext: dialer.DialContext},
		Timeout:       client.Timeout,
		CheckRedirect: client.CheckRedirect,
	}
	clients[ip] = c
	return c
}
