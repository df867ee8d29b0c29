package partyfinder

import (
	"io"

	"github.com/partyfinder/partyfinder/shared/feed"
	"github.com/partyfinder/partyfinder/shared/redis"
)

type closingTier interface {
	feed.Shared
	io.Closer
}

// openRedis connects the Redis shared cache tier. It does not dial:
// a Redis that is down is found at first use, and the feed reads the
// store meanwhile.
func openRedis(c Config) (closingTier, error) {
	return redis.Open(c.RedisAddr, redis.Options{Prefix: c.RedisPrefix})
}
