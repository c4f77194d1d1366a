package auth

import (
	"context"
	"testing"
	"time"

	"stockgraph/internal/apperr"
	"stockgraph/internal/testsupport/testdb"
)

// clock is a cache's time, moved by the test.
type clock struct{ t time.Time }

func (c *clock) now() time.Time { return c.t }

// TestCacheRefusesARevokedTokenWithinTheTTL: a cached token keeps working
// without a lookup until its entry is TTL old, and is refused from then
// on once revoked; a token never found is looked up every time.
func TestCacheRefusesARevokedTokenWithinTheTTL(t *testing.T) {
	db := testdb.MustOpenDB(t)
	ctx := context.Background()
	var storeID int64
	if err := db.Raw(`INSERT INTO stores (handle, name) VALUES ('cache', 'Cache') RETURNING id`).Scan(&storeID).Error; err != nil {
		t.Fatal(err)
	}
	token, err := CreateToken(ctx, db.DB, storeID, "cached", []Scope{WriteInventory})
	if err != nil {
		t.Fatal(err)
	}
	clk := &clock{t: time.Now()}
	c := NewCache(time.Second, 10)
	c.now = clk.now
	p, err := c.Authenticate(ctx, db.DB, token)
	if err != nil || p.StoreID != storeID || !p.Has(WriteInventory) {
		t.Fatalf("Authenticate(new token) = %+v, %v; want store %d with write_inventory", p, err, storeID)
	}
	p.Scopes[0] = ManageWebhooks // a caller's copy: the cache keeps its own
	if err := RevokeToken(ctx, db.DB, token); err != nil {
		t.Fatal(err)
	}
	before := db.Statements()
	clk.t = clk.t.Add(999 * time.Millisecond)
	if p, err := c.Authenticate(ctx, db.DB, token); err != nil || !p.Has(WriteInventory) || p.Has(ManageWebhooks) {
		t.Errorf("Authenticate(revoked, within the TTL) = %+v, %v; want the cached principal", p, err)
	}
	if n := db.Statements() - before; n != 0 {
		t.Errorf("a cached token cost %d statements, want 0", n)
	}
	clk.t = clk.t.Add(time.Millisecond)
	if _, err := c.Authenticate(ctx, db.DB, token); apperr.CodeOf(err) != apperr.Unauthenticated {
		t.Errorf("Authenticate(revoked, TTL later) error = %v, want UNAUTHENTICATED", err)
	}
	if _, err := c.Authenticate(ctx, db.DB, token); apperr.CodeOf(err) != apperr.Unauthenticated {
		t.Errorf("Authenticate(revoked, again) error = %v, want UNAUTHENTICATED: a refusal is not cached as a success", err)
	}
}

// TestCacheKeepsNoEntryPastTheTokensExpiry: an entry lasts until the
// token expires when that comes before the TTL.
func TestCacheKeepsNoEntryPastTheTokensExpiry(t *testing.T) {
	db := testdb.MustOpenDB(t)
	ctx := context.Background()
	var storeID int64
	if err := db.Raw(`INSERT INTO stores (handle, name) VALUES ('cache-exp', 'Cache') RETURNING id`).Scan(&storeID).Error; err != nil {
		t.Fatal(err)
	}
	expires := time.Now().Add(time.Hour).Truncate(time.Microsecond)
	token, err := CreateToken(ctx, db.DB, storeID, "expiring", []Scope{ReadInventory}, expires)
	if err != nil {
		t.Fatal(err)
	}
	clk := &clock{t: expires.Add(-300 * time.Millisecond)}
	c := NewCache(time.Second, 10)
	c.now = clk.now
	if _, err := c.Authenticate(ctx, db.DB, token); err != nil {
		t.Fatal(err)
	}
	for _, e := range c.entries {
		if !e.until.Equal(expires) {
			t.Errorf("entry kept until %s, want the token's expiry %s", e.until, expires)
		}
	}
	clk.t = expires
	if _, ok := c.get([32]byte(hash(token))); ok {
		t.Errorf("the entry served a principal at the token's expiry")
	}
}

// TestCacheIsBounded: a full cache drops its lapsed entries, and all of
// them when none has lapsed; a TTL of zero keeps nothing.
func TestCacheIsBounded(t *testing.T) {
	clk := &clock{t: time.Now()}
	c := NewCache(time.Second, 2)
	c.now = clk.now
	c.put([32]byte{1}, Principal{TokenID: 1})
	clk.t = clk.t.Add(600 * time.Millisecond)
	c.put([32]byte{2}, Principal{TokenID: 2})
	clk.t = clk.t.Add(600 * time.Millisecond) // entry 1 has lapsed
	c.put([32]byte{3}, Principal{TokenID: 3})
	if _, ok := c.entries[[32]byte{1}]; ok || len(c.entries) != 2 {
		t.Errorf("after a put into a full cache with a lapsed entry: %d entries (lapsed kept: %v), want 2 without it", len(c.entries), ok)
	}
	c.put([32]byte{4}, Principal{TokenID: 4})
	if len(c.entries) != 1 {
		t.Errorf("after a put into a full cache of live entries: %d entries, want 1", len(c.entries))
	}
	off := NewCache(0, 2)
	off.put([32]byte{1}, Principal{TokenID: 1})
	if len(off.entries) != 0 {
		t.Errorf("a cache with a zero TTL kept %d entries", len(off.entries))
	}
}
