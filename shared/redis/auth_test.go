package redis_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/partyfinder/partyfinder/shared/apperr"
	"github.com/partyfinder/partyfinder/shared/redis"
	"github.com/partyfinder/partyfinder/shared/redis/redistest"
)

// TestURLPasswordAndDB: a redis:// URL's password authenticates each
// connection and its path selects the database, on a server of the
// test's own that requires a password (no test may set one on the
// shared server).
func TestURLPasswordAndDB(t *testing.T) {
	ctx := t.Context()
	srv := redistest.StartWith(t, "--requirepass", "s3cret")
	a := srv.Addr()
	prefix := testPrefix()
	key := prefix + "v1:snap:c"

	for _, url := range []string{
		"redis://:s3cret@" + a + "/3",
		"redis://default:s3cret@" + a + "/3", // the ACL form: user and password
		"redis://:s3cret@" + a + "?db=3",
	} {
		t.Run(url, func(t *testing.T) {
			tier := open(t, url, redis.Options{Prefix: prefix})
			if err := tier.Ping(ctx); err != nil {
				t.Fatal(err)
			}
			if err := tier.SavePrebuilt(ctx, "c", []byte("gz")); err != nil {
				t.Fatal(err)
			}
			if got, err := admin(t, "redis://:s3cret@"+a+"/3").str("GET", key); err != nil || got != "gz" {
				t.Errorf("GET %s in database 3 = %q, %v; want the saved bytes", key, got, err)
			}
			if n, err := admin(t, "redis://:s3cret@"+a).int("EXISTS", key); err != nil || n != 0 {
				t.Errorf("EXISTS %s in database 0 = %d, %v; want 0", key, n, err)
			}
			admin(t, "redis://:s3cret@"+a+"/3").do("DEL", key)
		})
	}

	refused := []struct{ name, addr, cause string }{
		{"no password", a, "NOAUTH"},
		{"a wrong password", "redis://:wrong@" + a, "WRONGPASS"},
		{"a database out of range", "redis://:s3cret@" + a + "/99", "DB index is out of range"},
	}
	for _, tt := range refused {
		t.Run(tt.name, func(t *testing.T) {
			tier, err := redis.Open(tt.addr, redis.Options{Prefix: prefix})
			if err != nil {
				t.Fatal(err)
			}
			defer tier.Close()
			_, err = tier.Revision(ctx, "c")
			wantKind(t, err, apperr.Unavailable)
			if errors.Is(err, redis.ErrOpen) || !strings.Contains(err.Error(), tt.cause) {
				t.Errorf("error %v, want Redis's %s", err, tt.cause)
			}
		})
	}
}
