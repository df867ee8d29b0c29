// Package redistest gives tests a real redis-server on 127.0.0.1: the one
// scripts/test starts (PARTYFINDER_TEST_REDIS), or one of the test's own.
// Where redis-server is not installed the tests skip, visibly, except under
// CI=true or PARTYFINDER_REQUIRE_EMULATORS=1, where they fail.
package redistest

import (
	"bufio"
	"cmp"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/partyfinder/partyfinder/shared/testenv"
)

// EnvAddr names the Redis that scripts/test starts for the tests. It is
// not REDIS_ADDR, so servers under test use Redis only when told to.
const EnvAddr = "PARTYFINDER_TEST_REDIS"

// ErrNoServer means redis-server is not installed.
var ErrNoServer = errors.New("redis-server is not installed (apt-get install redis-server); set " + EnvAddr + " or install it to run the Redis tests")

// Required reports whether the Redis suites must run rather than skip.
func Required() bool { return testenv.Required() }

// Unavailable skips the test, visibly, or fails it where Redis is
// required.
func Unavailable(tb testing.TB, err error) {
	tb.Helper()
	if !errors.Is(err, ErrNoServer) {
		tb.Fatal(err)
	}
	testenv.Need(tb, err.Error())
}

// Addr returns a Redis for the test: the shared one scripts/test started
// (which must be on this machine; give the test's keys a prefix of their
// own), else a server of the test's own.
func Addr(tb testing.TB) string {
	tb.Helper()
	shared := os.Getenv(EnvAddr)
	if shared == "" {
		return Start(tb).Addr()
	}
	host, _, err := net.SplitHostPort(shared)
	if err != nil {
		tb.Fatalf("%s=%q: want host:port: %v", EnvAddr, shared, err)
	}
	if ip := net.ParseIP(host); host != "localhost" && (ip == nil || !ip.IsLoopback()) {
		tb.Fatalf("%s=%q is not on this machine: the tests only talk to 127.0.0.1", EnvAddr, shared)
	}
	return shared
}

// Server is a redis-server process of the test's own, kept in memory
// only, on 127.0.0.1.
type Server struct {
	dir    string
	port   int
	args   []string // beyond the port, the address and no persistence
	cmd    *exec.Cmd
	exited chan struct{}
}

// Start starts a redis-server for this test alone and kills it at its
// end.
func Start(tb testing.TB) *Server {
	tb.Helper()
	return StartWith(tb)
}

// StartWith is Start with more arguments for redis-server, such as
// "--requirepass", "secret": a setting no test may put on the shared one.
func StartWith(tb testing.TB, args ...string) *Server {
	tb.Helper()
	port, err := FreePort()
	if err != nil {
		tb.Fatal(err)
	}
	s := &Server{dir: tb.TempDir(), port: port, args: args}
	if err := s.Restart(); err != nil {
		Unavailable(tb, err)
	}
	tb.Cleanup(s.Kill)
	return s
}

// Addr is the server's host:port.
func (s *Server) Addr() string { return "127.0.0.1:" + strconv.Itoa(s.port) }

// Restart starts redis-server (the one REDIS_SERVER names, if set) on the
// server's port and waits until it answers.
func (s *Server) Restart() error {
	bin, err := exec.LookPath(cmp.Or(os.Getenv("REDIS_SERVER"), "redis-server"))
	if err != nil {
		return ErrNoServer
	}
	logPath := filepath.Join(s.dir, "redis.log")
	log, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return err
	}
	defer log.Close()
	args := append([]string{"--port", strconv.Itoa(s.port), "--bind", "127.0.0.1",
		"--save", "", "--appendonly", "no", "--dir", s.dir}, s.args...)
	s.cmd = exec.Command(bin, args...)
	s.cmd.Stdout, s.cmd.Stderr = log, log
	if err := s.cmd.Start(); err != nil {
		return fmt.Errorf("start redis-server: %w", err)
	}
	s.exited = make(chan struct{})
	go func() { s.cmd.Wait(); close(s.exited) }()

	deadline := time.Now().Add(20 * time.Second)
	for {
		select {
		case <-s.exited:
			out, _ := os.ReadFile(logPath)
			return fmt.Errorf("redis-server on port %d exited: %s", s.port, out)
		default:
		}
		err := answers(s.Addr())
		if err == nil {
			return nil
		}
		if time.Now().After(deadline) {
			s.Kill()
			return fmt.Errorf("redis-server on port %d did not answer: %v", s.port, err)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// answers reports whether a Redis answers at addr: any reply to PING,
// NOAUTH from a server with a password included, means it is up.
func answers(addr string) error {
	c, err := net.DialTimeout("tcp", addr, time.Second)
	if err != nil {
		return err
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(time.Second))
	if _, err := c.Write([]byte("*1\r\n$4\r\nPING\r\n")); err != nil {
		return err
	}
	line, err := bufio.NewReader(c).ReadString('\n')
	if err != nil {
		return err
	}
	if line[0] != '+' && line[0] != '-' {
		return fmt.Errorf("PING answered %q", line)
	}
	return nil
}

// Kill ends redis-server with SIGKILL, as a crash would: no shutdown,
// connections cut.
func (s *Server) Kill() {
	if s.cmd == nil || s.cmd.Process == nil {
		return
	}
	_ = s.cmd.Process.Signal(syscall.SIGKILL)
	<-s.exited
}

// FreePort returns a loopback port nothing listens on now.
func FreePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}
