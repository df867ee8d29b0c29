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
	"strings"
	"syscall"
	"time"

	goredis "github.com/redis/go-redis/v9"
)

// The Firestore emulator and redis-server, as EMULATORS.md describes them.
const (
	firestoreEmulator = "/usr/lib/google-cloud-sdk/platform/cloud-firestore-emulator/cloud_firestore_emulator"
	redisServer       = "/usr/bin/redis-server"
)

// service is a process the cold-start bench started itself, in a process
// group of its own, so that stopping it also ends its children (the
// emulator's script starts a JVM).
type service struct {
	name string
	addr string
	cmd  *exec.Cmd
	log  string
	done chan struct{}
}

// startService starts argv in a new process group, its output in a file
// under dir.
func startService(name, dir string, argv ...string) (*service, error) {
	logPath := filepath.Join(dir, name+".log")
	log, err := os.Create(logPath)
	if err != nil {
		return nil, err
	}
	defer log.Close()
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Dir = dir
	cmd.Stdout, cmd.Stderr = log, log
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s: %w", name, err)
	}
	s := &service{name: name, cmd: cmd, log: logPath, done: make(chan struct{})}
	go func() { _ = cmd.Wait(); close(s.done) }()
	return s, nil
}

// stop ends the service's process group: SIGTERM, then SIGKILL after five
// seconds.
func (s *service) stop() {
	pgid := s.cmd.Process.Pid // Setpgid: the group is named after the leader
	_ = syscall.Kill(-pgid, syscall.SIGTERM)
	select {
	case <-s.done:
	case <-time.After(5 * time.Second):
		_ = syscall.Kill(-pgid, syscall.SIGKILL)
		<-s.done
	}
	// Children that outlived the leader.
	_ = syscall.Kill(-pgid, syscall.SIGKILL)
}

func (s *service) tail() string {
	b, _ := os.ReadFile(s.log)
	if len(b) > 2000 {
		b = b[len(b)-2000:]
	}
	return string(b)
}

// waitReady calls ready every 50 ms until it succeeds, the service exits
// or the timeout passes.
func (s *service) waitReady(timeout time.Duration, ready func() error) error {
	deadline := time.Now().Add(timeout)
	for {
		err := ready()
		if err == nil {
			return nil
		}
		select {
		case <-s.done:
			return fmt.Errorf("%s exited before it was ready; log:\n%s", s.name, s.tail())
		default:
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%s not ready within %s (%v); log:\n%s", s.name, timeout, err, s.tail())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// startFirestoreEmulator starts the Firestore emulator on a free loopback
// port and waits until it answers.
func startFirestoreEmulator(dir, project string) (*service, error) {
	if _, err := os.Stat(firestoreEmulator); err != nil {
		return nil, fmt.Errorf("FIRESTORE_EMULATOR_HOST is not set and the Firestore emulator is not installed at %s: %w", firestoreEmulator, err)
	}
	addr, err := freeAddr()
	if err != nil {
		return nil, err
	}
	host, port, _ := net.SplitHostPort(addr)
	s, err := startService("firestore-emulator", dir, firestoreEmulator,
		"--host="+host, "--port="+port, "--project_id="+project)
	if err != nil {
		return nil, err
	}
	s.addr = addr
	err = s.waitReady(60*time.Second, func() error {
		resp, err := pollClient.Get("http://" + addr + "/")
		if err != nil {
			return err
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK || !strings.HasPrefix(strings.TrimSpace(string(b)), "Ok") {
			return fmt.Errorf("status %d: %.100s", resp.StatusCode, b)
		}
		return nil
	})
	if err != nil {
		s.stop()
		return nil, err
	}
	return s, nil
}

// startRedis starts a redis-server without persistence on a free
// loopback port and waits until it answers PING.
func startRedis(dir string) (*service, error) {
	if _, err := os.Stat(redisServer); err != nil {
		return nil, fmt.Errorf("redis-server is not installed at %s: %w", redisServer, err)
	}
	addr, err := freeAddr()
	if err != nil {
		return nil, err
	}
	_, port, _ := net.SplitHostPort(addr)
	s, err := startService("redis", dir, redisServer, "--port", port, "--bind", "127.0.0.1",
		"--save", "", "--appendonly", "no")
	if err != nil {
		return nil, err
	}
	s.addr = addr
	c := goredis.NewClient(&goredis.Options{Addr: addr, DisableIdentity: true})
	defer c.Close()
	err = s.waitReady(10*time.Second, func() error {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		return c.Ping(ctx).Err()
	})
	if err != nil {
		s.stop()
		return nil, err
	}
	return s, nil
}

// loopbackHost refuses addresses other than 127.0.0.1: the bench talks to
// nothing else.
func loopbackHost(addr string) error {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("address %q: %w", addr, err)
	}
	if host != "127.0.0.1" && host != "localhost" {
		return errors.New("only 127.0.0.1 is measured; got " + addr)
	}
	return nil
}
