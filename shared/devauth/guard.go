package devauth

import (
	"fmt"
	"net"
	"net/netip"
	"strings"
)

// cloudEnv are variables that Google's serverless runtimes set (Cloud Run
// services and jobs, Cloud Run functions, App Engine). Any of them means
// this is not a developer's machine.
var cloudEnv = []string{
	"K_SERVICE", "K_REVISION", "K_CONFIGURATION", // Cloud Run services and functions
	"CLOUD_RUN_JOB",                    // Cloud Run jobs
	"FUNCTION_TARGET", "FUNCTION_NAME", // Functions Framework, first-generation functions
	"GAE_ENV", "GAE_SERVICE", // App Engine
}

// Guard returns an error unless dev sign-in may run here: in no cloud
// runtime (see cloudEnv), and listening on a loopback address only
// ("127.0.0.1:8080", "localhost:8080", "[::1]:8080"). An address without a
// host (":8080") listens on every interface and is refused. Call it before
// mounting the sign-in handler or accepting dev tokens, and stop on error.
func Guard(listenAddr string, getenv func(string) string) error {
	for _, v := range cloudEnv {
		if getenv(v) != "" {
			return fmt.Errorf("dev sign-in refused: %s is set, so this is a cloud runtime; use Firebase Authentication there", v)
		}
	}
	host, _, err := net.SplitHostPort(listenAddr)
	if err != nil {
		return fmt.Errorf("dev sign-in refused: listen address %q: %w", listenAddr, err)
	}
	if !loopbackHost(host) {
		if host == "" {
			host = "every interface"
		}
		return fmt.Errorf("dev sign-in refused: listening on %s (%q) lets other machines mint tokens; listen on a loopback address such as 127.0.0.1:8080", host, listenAddr)
	}
	return nil
}

// loopbackHost reports whether host names only this machine: "localhost"
// or a loopback IP literal. Other names are refused, since what they
// resolve to can change. Names under localhost ("app.localhost") are
// refused too: Chrome and Firefox resolve them to loopback themselves, but
// other browsers and resolvers ask DNS, where a hostile resolver (a café's
// Wi-Fi) can answer for them and rebind them; the local runner needs none.
func loopbackHost(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	return loopbackIP(host)
}

// loopbackAuthority reports whether hostport, a Host header or the host of
// an origin, names this machine (see loopbackHost), with or without a port:
// "localhost:8080", "127.0.0.1", "[::1]:5173".
func loopbackAuthority(hostport string) bool {
	host := hostport
	if h, port, err := net.SplitHostPort(hostport); err == nil {
		if len(port) > 5 || strings.ContainsFunc(port, func(r rune) bool { return r < '0' || r > '9' }) {
			return false
		}
		if strings.Contains(h, ":") != strings.HasPrefix(hostport, "[") {
			return false // an IPv6 address must be bracketed, and only one
		}
		host = h
	} else if strings.HasPrefix(host, "[") && strings.HasSuffix(host, "]") {
		host = host[1 : len(host)-1]
		if !strings.Contains(host, ":") {
			return false
		}
	} else if strings.Contains(host, ":") {
		return false // an unbracketed IPv6 address, or worse
	}
	return loopbackHost(host)
}

// loopbackIP reports whether s is a loopback IP address (IPv4 127/8, ::1,
// or IPv4 loopback mapped into IPv6).
func loopbackIP(s string) bool {
	ip, err := netip.ParseAddr(s)
	return err == nil && ip.Zone() == "" && ip.Unmap().IsLoopback()
}
