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
// resolve to can change.
func loopbackHost(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	return loopbackIP(host)
}

// loopbackIP reports whether s is a loopback IP address (IPv4 127/8, ::1,
// or IPv4 loopback mapped into IPv6).
func loopbackIP(s string) bool {
	ip, err := netip.ParseAddr(s)
	return err == nil && ip.Zone() == "" && ip.Unmap().IsLoopback()
}
