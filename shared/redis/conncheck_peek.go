//go:build linux || darwin || freebsd || netbsd || openbsd

package redis

import (
	"errors"
	"net"
	"syscall"
)

// peekAlive looks at an idle connection's socket without blocking or
// consuming: a server that closed it (a restart, a timeout) has left an
// EOF there, and one that sent something unasked is out of step. Either
// way the connection would fail its next call, and that call would open
// the breaker for nothing.
func peekAlive(nc net.Conn) bool {
	sc, ok := nc.(syscall.Conn)
	if !ok {
		return true
	}
	rc, err := sc.SyscallConn()
	if err != nil {
		return false
	}
	alive := false
	err = rc.Read(func(fd uintptr) bool {
		var b [1]byte
		_, _, err := syscall.Recvfrom(int(fd), b[:], syscall.MSG_PEEK|syscall.MSG_DONTWAIT)
		// nothing to read yet is the only healthy answer
		alive = errors.Is(err, syscall.EAGAIN) || errors.Is(err, syscall.EWOULDBLOCK)
		return true // done, whatever the answer: never wait for data
	})
	return err == nil && alive
}
