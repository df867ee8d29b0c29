package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"syscall"
	"time"
)

// buildServer compiles the real server once, so that start-up times measure
// the program and not the compiler.
func buildServer(ctx context.Context, root, dir string) (string, error) {
	bin := filepath.Join(dir, "partyfinder")
	cmd := exec.CommandContext(ctx, "go", "build", "-o", bin, "./scripts/partyfinder")
	cmd.Dir = root
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("go build ./scripts/partyfinder: %w\n%s", err, out)
	}
	return bin, nil
}

// freeAddr returns a loopback address with a port nobody listens on now.
func freeAddr() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer ln.Close()
	return ln.Addr().String(), nil
}

// process is a child server: the real one or the ceiling.
type process struct {
	cmd  *exec.Cmd
	addr string
	log  *os.File
	done chan struct{} // closed when the process has exited
}

// startProcess runs argv from root, optionally pinned to cpus with
// taskset, with its output in a log file that is shown when it fails.
func startProcess(root, cpus string, env []string, argv ...string) (*process, error) {
	if cpus != "" {
		argv = append([]string{"taskset", "-c", cpus}, argv...)
	}
	log, err := os.CreateTemp("", "bench-server-*.log")
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Dir = root
	cmd.Env = append(os.Environ(), env...)
	cmd.Stdout, cmd.Stderr = log, log
	if err := cmd.Start(); err != nil {
		log.Close()
		return nil, fmt.Errorf("start %s: %w", argv[0], err)
	}
	p := &process{cmd: cmd, log: log, done: make(chan struct{})}
	go func() { _ = cmd.Wait(); close(p.done) }()
	return p, nil
}

// stop ends the process gracefully (SIGINT, as Ctrl-C would), and kills it
// when it does not exit within five seconds.
func (p *process) stop() {
	_ = p.cmd.Process.Signal(os.Interrupt)
	select {
	case <-p.done:
	case <-time.After(5 * time.Second):
		_ = p.cmd.Process.Signal(syscall.SIGKILL)
		<-p.done
	}
	p.log.Close()
	os.Remove(p.log.Name())
}

// tail returns the end of the process's log, for error messages.
func (p *process) tail() string {
	b, _ := os.ReadFile(p.log.Name())
	if len(b) > 2000 {
		b = b[len(b)-2000:]
	}
	return string(b)
}

// serverEnv is the environment of the real server: the bench conference by
// default and no tracing, as in a plain production deployment.
func serverEnv() []string {
	return []string{"PARTYFINDER_DEFAULT_CONFERENCE=" + benchConference, "PARTYFINDER_TRACE_EXPORTER=none", "LOG_LEVEL=info"}
}

// startServer starts the real server on db and waits for its first 200.
func startServer(root, bin, db, cpus string) (*process, time.Duration, error) {
	addr, err := freeAddr()
	if err != nil {
		return nil, 0, err
	}
	began := time.Now()
	p, err := startProcess(root, cpus, serverEnv(), bin, "serve", "--addr", addr, "--db", db, "--no-seed")
	if err != nil {
		return nil, 0, err
	}
	p.addr = addr
	if err := waitOK(p, "http://"+addr+"/api/parties", 20*time.Second); err != nil {
		p.stop()
		return nil, 0, err
	}
	return p, time.Since(began), nil
}

// pollClient opens a new connection per attempt: a refused connection is
// how a not-yet-listening server answers, and it answers fast.
var pollClient = &http.Client{
	Timeout:   5 * time.Second,
	Transport: &http.Transport{DisableKeepAlives: true, Proxy: nil},
}

// waitOK polls url every millisecond until it answers 200, the process
// exits or the timeout passes.
func waitOK(p *process, url string, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		select {
		case <-p.done:
			return fmt.Errorf("the server exited before answering; log:\n%s", p.tail())
		default:
		}
		resp, err := pollClient.Get(url)
		if err == nil {
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
			if resp.StatusCode != http.StatusServiceUnavailable {
				return fmt.Errorf("%s answered %d; log:\n%s", url, resp.StatusCode, p.tail())
			}
		} else if !errors.Is(err, syscall.ECONNREFUSED) {
			return fmt.Errorf("poll %s: %w", url, err)
		}
		time.Sleep(time.Millisecond)
	}
	return fmt.Errorf("%s gave no 200 within %s; log:\n%s", url, timeout, p.tail())
}

// startupStats is the time from spawning the server to its first 200.
type startupStats struct {
	Runs             []time.Duration
	Median, Min, Max time.Duration
	Cold             time.Duration // the discarded first start, binary and file not yet in the page cache
}

// measureStartups starts and stops the server n times (plus one discarded
// start that brings the binary and the database into the page cache).
func measureStartups(root, bin, db string, n int) (startupStats, error) {
	var st startupStats
	for i := range n + 1 {
		p, d, err := startServer(root, bin, db, "")
		if err != nil {
			return st, fmt.Errorf("start %d: %w", i+1, err)
		}
		p.stop()
		if i == 0 {
			st.Cold = d
			continue
		}
		st.Runs = append(st.Runs, d)
	}
	sorted := slices.Clone(st.Runs)
	slices.Sort(sorted)
	st.Median, st.Min, st.Max = sorted[len(sorted)/2], sorted[0], sorted[len(sorted)-1]
	return st, nil
}

// pinSelf moves every thread of this process to cpus, so that the load
// generator stays off the server's core. Threads started later inherit it.
func pinSelf(cpus string) error {
	out, err := exec.Command("taskset", "-a", "-p", "-c", cpus, strconv.Itoa(os.Getpid())).CombinedOutput()
	if err != nil {
		return fmt.Errorf("taskset: %w: %s", err, out)
	}
	return nil
}
