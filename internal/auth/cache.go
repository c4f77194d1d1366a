package auth

import (
	"context"
	"strings"
	"sync"
	"time"

	"gorm.io/gorm"
)

// Cache keeps what Authenticate found for a token for a short while, so
// that a client's requests do not each look their token up. An entry
// lives TTL at most, and never past the token's expiry: a token revoked
// on any replica is refused by every replica within TTL. Only identities
// and scopes are kept (Principal carries no store row), and only tokens
// that were found: a new token works at once, and a refused one costs a
// lookup each time, as before (the address throttle bounds those).
type Cache struct {
	ttl, size int64 // nanoseconds; entries
	now       func() time.Time
	mu        sync.Mutex
	entries   map[[32]byte]cached
}

type cached struct {
	p     Principal
	until time.Time
}

// DefaultCacheTTL is how long a token's lookup is kept: how late, at
// most, a revocation or an expiry takes effect.
const DefaultCacheTTL = time.Second

// DefaultCacheSize is the most tokens a cache keeps.
const DefaultCacheSize = 10000

// NewCache returns a cache keeping up to size lookups for ttl each; a ttl
// of zero or less keeps nothing, and every call looks the token up.
func NewCache(ttl time.Duration, size int) *Cache {
	return &Cache{ttl: int64(ttl), size: int64(size), now: time.Now, entries: map[[32]byte]cached{}}
}

// Authenticate is the package's Authenticate, answered from the cache
// while the token's entry lasts. The principal is the caller's to keep.
func (c *Cache) Authenticate(ctx context.Context, db *gorm.DB, token string) (*Principal, error) {
	if !strings.HasPrefix(token, tokenPrefix) {
		return nil, errBadToken
	}
	key := [32]byte(hash(token))
	if p, ok := c.get(key); ok {
		return p, nil
	}
	p, err := lookup(ctx, db, key[:])
	if err != nil {
		return nil, err
	}
	c.put(key, *p)
	return p, nil
}

func (c *Cache) get(key [32]byte) (*Principal, bool) {
	c.mu.Lock()
	e, ok := c.entries[key]
	c.mu.Unlock()
	if !ok || !c.now().Before(e.until) {
		return nil, false
	}
	p := e.p
	p.Scopes = append([]Scope(nil), e.p.Scopes...)
	return &p, true
}

// put keeps p until the TTL passes or the token expires, whichever is
// first. A full cache first drops its lapsed entries, and everything when
// none had lapsed: a cache this size refilled a second later costs one
// lookup per token, and it keeps memory bounded whatever the clients do.
func (c *Cache) put(key [32]byte, p Principal) {
	if c.ttl <= 0 {
		return
	}
	now := c.now()
	until := now.Add(time.Duration(c.ttl))
	if !p.expires.IsZero() && p.expires.Before(until) {
		until = p.expires
	}
	p.Scopes = append([]Scope(nil), p.Scopes...)
	c.mu.Lock()
	defer c.mu.Unlock()
	if int64(len(c.entries)) >= c.size {
		for k, e := range c.entries {
			if !now.Before(e.until) {
				delete(c.entries, k)
			}
		}
		if int64(len(c.entries)) >= c.size {
			clear(c.entries)
		}
	}
	c.entries[key] = cached{p: p, until: until}
}
