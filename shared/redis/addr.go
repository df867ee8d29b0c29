package redis

import (
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/url"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"time"
)

// config is where and how the client connects, as an address names it.
type config struct {
	network, addr      string
	tls                *tls.Config // nil: plain TCP
	username, password string      // AUTH on each new connection when password is set
	db                 int         // SELECT on each new connection when not 0
	clientName         string      // CLIENT SETNAME on each new connection when set
	poolSize           int         // connections open at most
}

// parseAddr reads an address: host:port, or a redis://, rediss:// or
// unix:// URL. It takes the URLs earlier releases took (their client's
// URL syntax), so that a deployment's REDIS_ADDR keeps working:
//
//	redis://[[user]:password@]host[:port][/db][?option=value...]
//	rediss://...   the same over TLS, verifying the certificate for host
//	unix://[[user]:password@]/path/to/socket[?db=n...]
//
// The host defaults to localhost and the port to 6379. Of the options,
// db, client_name, pool_size and (for rediss) skip_verify apply; the
// others (timeouts, retries and the old client's pool tuning) are checked
// and then have no effect, as the timeouts and retries never had: this
// package's are fixed (see timeout). Any other option is an error.
func parseAddr(addr string) (config, error) {
	cfg := config{network: "tcp", addr: addr, poolSize: 10 * runtime.GOMAXPROCS(0)}
	if !strings.Contains(addr, "://") {
		if addr == "" {
			return config{}, errors.New("no address")
		}
		return cfg, nil
	}
	u, err := url.Parse(addr)
	if err != nil {
		return config{}, err
	}
	if u.User != nil {
		cfg.username = u.User.Username()
		cfg.password, _ = u.User.Password()
	}
	switch u.Scheme {
	case "redis", "rediss":
		host, port := u.Hostname(), u.Port()
		if host == "" {
			host = "localhost"
		}
		if port == "" {
			port = "6379"
		}
		cfg.addr = net.JoinHostPort(host, port)
		switch f := strings.FieldsFunc(u.Path, func(r rune) bool { return r == '/' }); len(f) {
		case 0:
		case 1:
			if cfg.db, err = strconv.Atoi(f[0]); err != nil {
				return config{}, fmt.Errorf("invalid database number: %q", f[0])
			}
		default:
			return config{}, fmt.Errorf("invalid URL path: %s", u.Path)
		}
		if u.Scheme == "rediss" {
			cfg.tls = &tls.Config{ServerName: host, MinVersion: tls.VersionTLS12}
		}
	case "unix":
		if strings.TrimSpace(u.Path) == "" {
			return config{}, errors.New("empty unix socket path")
		}
		cfg.network, cfg.addr = "unix", u.Path
	default:
		return config{}, fmt.Errorf("invalid URL scheme: %s", u.Scheme)
	}
	return cfg, cfg.options(u.Query())
}

// The kinds of value an option takes.
const (
	optInt = iota
	optDuration
	optBool
	optString
)

// inert are the options accepted for compatibility only.
var inert = map[string]int{
	"protocol": optInt, "max_retries": optInt,
	"min_retry_backoff": optDuration, "max_retry_backoff": optDuration,
	"dial_timeout": optDuration, "read_timeout": optDuration, "write_timeout": optDuration,
	"pool_fifo": optBool, "pool_timeout": optDuration,
	"min_idle_conns": optInt, "max_idle_conns": optInt, "max_active_conns": optInt,
	"max_concurrent_dials": optInt, "pipeline_pool_size": optInt,
	"pipeline_read_buffer_size": optInt, "pipeline_write_buffer_size": optInt,
	"conn_max_idle_time": optDuration, "idle_timeout": optDuration,
	"conn_max_lifetime": optDuration, "max_conn_age": optDuration,
	"conn_max_lifetime_jitter": optDuration,
}

// options applies a URL's query. Where an option is given twice the
// last value counts.
func (cfg *config) options(q url.Values) error {
	var unknown []string
	for name, vs := range q {
		v := vs[len(vs)-1]
		kind, ok := inert[name]
		switch {
		case name == "db":
			kind = optString
			if v != "" {
				db, err := strconv.Atoi(v)
				if err != nil {
					return fmt.Errorf("invalid database number: %w", err)
				}
				cfg.db = db
			}
		case name == "client_name":
			kind, cfg.clientName = optString, v
		case name == "pool_size":
			kind = optInt
			if n, err := strconv.Atoi(v); err == nil && n > 0 {
				cfg.poolSize = n
			}
		case name == "skip_verify" && cfg.tls != nil:
			kind = optBool
			cfg.tls.InsecureSkipVerify = v == "true" || v == "1"
		case !ok:
			unknown = append(unknown, name)
			continue
		}
		if err := checkOption(name, kind, v); err != nil {
			return err
		}
	}
	if len(unknown) > 0 {
		slices.Sort(unknown)
		return fmt.Errorf("unexpected option: %s", strings.Join(unknown, ", "))
	}
	return nil
}

// checkOption refuses a malformed value: an empty one means the default.
func checkOption(name string, kind int, v string) error {
	if v == "" {
		return nil
	}
	switch kind {
	case optInt:
		if _, err := strconv.Atoi(v); err != nil {
			return fmt.Errorf("invalid %s number: %w", name, err)
		}
	case optDuration:
		if _, err := strconv.Atoi(v); err == nil {
			return nil // seconds
		}
		if _, err := time.ParseDuration(v); err != nil {
			return fmt.Errorf("invalid %s duration: %w", name, err)
		}
	case optBool:
		if v != "true" && v != "false" && v != "1" && v != "0" {
			return fmt.Errorf("invalid %s boolean: want true, false, 1 or 0, got %q", name, v)
		}
	}
	return nil
}
