//go:build !linux

package main

import "net"

// takeBacklog is Linux's alone: elsewhere the connections in the listen
// backlog when the listener closes are reset.
func takeBacklog(net.Listener) []net.Conn { return nil }
