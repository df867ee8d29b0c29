package redis

import "context"

// Admin is a plain client for the tests, to look at and meddle with what
// a Tier or a Limiter stored: the package's client, without the breaker.
type Admin struct{ c *client }

// NewAdmin returns an Admin of the Redis at addr (any address Open takes).
func NewAdmin(addr string) (*Admin, error) {
	c, err := newClient(addr)
	if err != nil {
		return nil, err
	}
	return &Admin{c: c}, nil
}

// Do sends one command; an error reply is the error.
func (a *Admin) Do(ctx context.Context, args ...any) (any, error) { return a.c.do(ctx, args...) }

// Close closes the connections.
func (a *Admin) Close() error { return a.c.close() }
