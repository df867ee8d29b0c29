//go:build linux

package main

import (
	"errors"
	"net"
	"os"

	"golang.org/x/sys/unix"
)

// takeBacklog accepts, without waiting, every connection in ln's listen
// backlog: those whose handshake the kernel has completed, whose clients
// may have sent their requests.
func takeBacklog(ln net.Listener) []net.Conn {
	tl, ok := ln.(*net.TCPListener)
	if !ok {
		return nil
	}
	raw, err := tl.SyscallConn()
	if err != nil {
		return nil
	}
	var fds []int
	// Control, unlike Accept, ignores the deadline that stopped Accept.
	raw.Control(func(fd uintptr) {
		for {
			nfd, _, err := unix.Accept4(int(fd), unix.SOCK_NONBLOCK|unix.SOCK_CLOEXEC)
			if errors.Is(err, unix.EINTR) || errors.Is(err, unix.ECONNABORTED) {
				continue
			}
			if err != nil {
				return // EAGAIN: the backlog is empty
			}
			fds = append(fds, nfd)
		}
	})
	var conns []net.Conn
	for _, fd := range fds {
		f := os.NewFile(uintptr(fd), "")
		c, err := net.FileConn(f)
		f.Close()
		if err == nil {
			conns = append(conns, c)
		}
	}
	return conns
}
