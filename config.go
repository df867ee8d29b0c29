package partyfinder

import (
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"time"

	"github.com/partyfinder/partyfinder/shared/feed"
	"github.com/partyfinder/partyfinder/shared/telemetry"
)

// Store backends.
const (
	StoreSQLite    = "sqlite"
	StoreFirestore = "firestore"
)

// Config is everything the functions need to know, read once at start.
type Config struct {
	Store             string        // sqlite or firestore
	DBPath            string        // sqlite file
	ProjectID         string        // Google Cloud / Firebase project
	DefaultConference string        // conference of requests that name none; "" = the latest
	CORSOrigins       []string      // allowed browser origins, "*" wildcards allowed
	PublicURL         string        // the site's public base URL, for links in calendars
	TraceExporter     string        // none, stdout, otlp or gcp (Cloud Trace)
	MetricsExporter   string        // none, stdout, otlp or gcp (Cloud Monitoring)
	LogLevel          slog.Level    //
	Version           string        // served by /api/health
	FeedRefresh       time.Duration // how often cached snapshots are checked for changes
	PopularityRefresh time.Duration // how often the feed reads parties' saves anew
	Local             bool          // serving on this machine: localhost origins, no HSTS
	CalendarSecret    []byte        // derives personal calendar tokens; at least 32 bytes
	Events            string        // inproc or pubsub: where domain events go beyond this process
	EventsTopic       string        // the Pub/Sub topic of domain events
	RedisAddr         string        // the shared cache tier (host:port or redis:// URL); "" = none
	RedisPrefix       string        // prefixes every key, so deployments can share a Redis
	WriteBurst        int           // party writes a user may make at once before the limit (then one per 3 s)
	SyncInterval      time.Duration // how often the local runner re-syncs conferences' sheets; 0 = never
	SyncTopic         string        // the Pub/Sub topic Cloud Scheduler publishes sheet re-syncs to
	// ProxyHops is how many proxies in front of the server append to
	// X-Forwarded-For, so the client's address is that many entries from
	// the right: 0 uses the peer's address (local runs), 1 on Cloud Run.
	ProxyHops   int
	SignInBurst int // dev sign-ins a client may make at once (then one a second)
	// The local runner's connections: how many it holds open at once per
	// listener, how long a keep-alive one may idle, and on a stop how long
	// it goes on answering requests on open connections (each answer
	// closing its connection) before it shuts down.
	MaxConns    int
	IdleTimeout time.Duration
	Drain       time.Duration
}

// Event transports.
const (
	EventsInProcess = "inproc"
	EventsPubSub    = "pubsub"
)

// Env variable names, documented in README.
const (
	EnvStore             = "PARTYFINDER_STORE"
	EnvDB                = "PARTYFINDER_DB"
	EnvDefaultConference = "PARTYFINDER_DEFAULT_CONFERENCE"
	EnvCORSOrigins       = "PARTYFINDER_CORS_ORIGINS"
	EnvPublicURL         = "PARTYFINDER_PUBLIC_URL"
	EnvTraceExporter     = "PARTYFINDER_TRACE_EXPORTER"
	EnvMetricsExporter   = "PARTYFINDER_METRICS_EXPORTER"
	EnvFeedRefresh       = "PARTYFINDER_FEED_REFRESH"
	EnvPopularityRefresh = "PARTYFINDER_POPULARITY_REFRESH"
	EnvVersion           = "PARTYFINDER_VERSION"
	EnvLogLevel          = "LOG_LEVEL"
	EnvProject           = "GOOGLE_CLOUD_PROJECT"
	EnvCalendarSecret    = "PARTYFINDER_CALENDAR_SECRET"
	EnvEvents            = "PARTYFINDER_EVENTS"
	EnvEventsTopic       = "PARTYFINDER_EVENTS_TOPIC"
	EnvRedis             = "REDIS_ADDR"
	EnvRedisPrefix       = "PARTYFINDER_REDIS_PREFIX"
	EnvWriteBurst        = "PARTYFINDER_WRITE_BURST"
	EnvSyncInterval      = "PARTYFINDER_SYNC_INTERVAL"
	EnvSyncTopic         = "PARTYFINDER_SYNC_TOPIC"
	EnvProxyHops         = "PARTYFINDER_PROXY_HOPS"
	EnvSignInBurst       = "PARTYFINDER_SIGNIN_BURST"
	EnvMaxConns          = "PARTYFINDER_MAX_CONNS"
	EnvIdleTimeout       = "PARTYFINDER_IDLE_TIMEOUT"
	EnvDrain             = "PARTYFINDER_DRAIN"
)

// SharedRefresh is how often cached snapshots are checked when the check
// is one Redis read: it bounds how stale another instance's write can be.
const SharedRefresh = 500 * time.Millisecond

// DefaultDBPath is where the embedded store lives unless configured.
const DefaultDBPath = ".partyfinder/partyfinder.db"

// ConfigFromEnv reads the configuration from environment variables. In a
// Cloud Run deployment (K_SERVICE is set) the store defaults to Firestore.
func ConfigFromEnv(getenv func(string) string) (Config, error) {
	c := Config{
		Store:             getenv(EnvStore),
		DBPath:            or(getenv(EnvDB), DefaultDBPath),
		ProjectID:         or(getenv(EnvProject), getenv("GCLOUD_PROJECT")),
		DefaultConference: getenv(EnvDefaultConference),
		PublicURL:         strings.TrimRight(getenv(EnvPublicURL), "/"),
		TraceExporter:     or(getenv(EnvTraceExporter), telemetry.ExporterNone),
		MetricsExporter:   or(getenv(EnvMetricsExporter), telemetry.ExporterNone),
		LogLevel:          telemetry.ParseLevel(getenv(EnvLogLevel)),
		Version:           or(getenv(EnvVersion), or(getenv("K_REVISION"), "dev")),
		FeedRefresh:       5 * time.Second,
		PopularityRefresh: feed.DefaultPopularityRefresh,
		Events:            or(getenv(EnvEvents), EventsInProcess),
		EventsTopic:       or(getenv(EnvEventsTopic), "partyfinder-events"),
		RedisAddr:         strings.TrimSpace(getenv(EnvRedis)),
		RedisPrefix:       or(getenv(EnvRedisPrefix), "pf:"),
		WriteBurst:        20,
		SyncInterval:      time.Hour,
		SignInBurst:       30,
		MaxConns:          4096,
		IdleTimeout:       30 * time.Second,
		Drain:             time.Second,
		SyncTopic:         or(getenv(EnvSyncTopic), "partyfinder-sheet-sync"),
	}
	for _, o := range strings.Split(getenv(EnvCORSOrigins), ",") {
		if o = strings.TrimSpace(o); o != "" {
			c.CORSOrigins = append(c.CORSOrigins, o)
		}
	}
	if c.Store == "" {
		c.Store = StoreSQLite
		if getenv("K_SERVICE") != "" {
			c.Store = StoreFirestore
		}
	}
	if s := getenv(EnvCalendarSecret); s != "" {
		if len(s) < 32 {
			return c, fmt.Errorf("%s must be at least 32 characters (e.g. openssl rand -base64 32)", EnvCalendarSecret)
		}
		c.CalendarSecret = []byte(s)
	}
	if c.RedisAddr != "" {
		c.FeedRefresh = SharedRefresh
	}
	if getenv("K_SERVICE") != "" {
		c.ProxyHops = 1 // Cloud Run's front end appends the caller's address
	}
	for _, n := range []struct {
		env  string
		dst  *int
		min  int
		what string
	}{
		{EnvWriteBurst, &c.WriteBurst, 1, "a positive number of writes"},
		{EnvProxyHops, &c.ProxyHops, 0, "a number of proxies, 0 or more"},
		{EnvSignInBurst, &c.SignInBurst, 1, "a positive number of sign-ins"},
		{EnvMaxConns, &c.MaxConns, 1, "a positive number of connections"},
	} {
		if s := getenv(n.env); s != "" {
			v, err := strconv.Atoi(s)
			if err != nil || v < n.min {
				return c, fmt.Errorf("%s=%q: want %s", n.env, s, n.what)
			}
			*n.dst = v
		}
	}
	if s := getenv(EnvSyncInterval); s != "" {
		d, err := time.ParseDuration(s)
		if err != nil || d < 0 || d > 0 && d < time.Minute {
			return c, fmt.Errorf("%s=%q: want a duration of at least 1m such as 1h, or 0 for never", EnvSyncInterval, s)
		}
		c.SyncInterval = d
	}
	for _, n := range []struct {
		env, example string
		dst          *time.Duration
	}{
		{EnvFeedRefresh, "5s", &c.FeedRefresh},
		{EnvPopularityRefresh, "10m", &c.PopularityRefresh},
		{EnvIdleTimeout, "30s", &c.IdleTimeout},
	} {
		if s := getenv(n.env); s != "" {
			d, err := time.ParseDuration(s)
			if err != nil || d <= 0 {
				return c, fmt.Errorf("%s=%q: want a duration such as %s", n.env, s, n.example)
			}
			*n.dst = d
		}
	}
	if s := getenv(EnvDrain); s != "" {
		d, err := time.ParseDuration(s)
		if err != nil || d < 0 {
			return c, fmt.Errorf("%s=%q: want a duration such as 1s, or 0 for none", EnvDrain, s)
		}
		c.Drain = d
	}
	return c, c.validate()
}

func (c Config) validate() error {
	switch c.Store {
	case StoreSQLite:
		if c.DBPath == "" {
			return fmt.Errorf("%s is empty", EnvDB)
		}
	case StoreFirestore:
		if c.ProjectID == "" {
			return fmt.Errorf("the firestore store needs %s (e.g. demo-party for the emulator)", EnvProject)
		}
	default:
		return fmt.Errorf("%s=%q: want sqlite or firestore", EnvStore, c.Store)
	}
	switch c.Events {
	case EventsInProcess:
	case EventsPubSub:
		if c.ProjectID == "" {
			return fmt.Errorf("%s=pubsub needs %s", EnvEvents, EnvProject)
		}
	default:
		return fmt.Errorf("%s=%q: want inproc or pubsub", EnvEvents, c.Events)
	}
	for _, e := range []struct{ env, v string }{{EnvTraceExporter, c.TraceExporter}, {EnvMetricsExporter, c.MetricsExporter}} {
		switch e.v {
		case telemetry.ExporterNone, telemetry.ExporterStdout, telemetry.ExporterOTLP:
		case telemetry.ExporterGCP:
			if c.ProjectID == "" {
				return fmt.Errorf("%s=gcp needs %s", e.env, EnvProject)
			}
		default:
			return fmt.Errorf("%s=%q: want none, stdout, otlp or gcp", e.env, e.v)
		}
	}
	return nil
}

func or(v, def string) string {
	if v != "" {
		return v
	}
	return def
}
