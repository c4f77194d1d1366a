package auth

import (
	"context"
	"slices"
	"testing"
	"time"

	"stockgraph/internal/apperr"
	"stockgraph/internal/testsupport/testdb"
)

func TestParseScopes(t *testing.T) {
	tests := []struct {
		list    string
		want    []Scope
		wantErr bool
	}{
		{"read_inventory", []Scope{ReadInventory}, false},
		{" READ_INVENTORY , write_inventory,read_inventory", []Scope{ReadInventory, WriteInventory}, false},
		{"read_inventory,nope", nil, true},
		{" , ", nil, true},
	}
	for _, tt := range tests {
		got, err := ParseScopes(tt.list)
		if (err != nil) != tt.wantErr || !slices.Equal(got, tt.want) {
			t.Errorf("ParseScopes(%q) = %v, %v, want %v (error %v)", tt.list, got, err, tt.want, tt.wantErr)
		}
	}
}

func TestBearerToken(t *testing.T) {
	tests := []struct {
		header, want string
		ok           bool
	}{
		{"Bearer sgt_abc", "sgt_abc", true},
		{"bearer  sgt_abc ", "sgt_abc", true},
		{"Basic xyz", "", false},
		{"Bearer ", "", false},
		{"sgt_abc", "", false},
	}
	for _, tt := range tests {
		got, ok := BearerToken(tt.header)
		if got != tt.want || ok != tt.ok {
			t.Errorf("BearerToken(%q) = %q, %v, want %q, %v", tt.header, got, ok, tt.want, tt.ok)
		}
	}
}

// TestTokenLifecycle: a token works for its store with its scopes, is
// stored only as a hash, and stops working once revoked.
func TestTokenLifecycle(t *testing.T) {
	db := testdb.MustOpenDB(t)
	ctx := context.Background()
	var storeID int64
	if err := db.Raw(`INSERT INTO stores (handle, name) VALUES ('tok', 'Tok') RETURNING id`).Scan(&storeID).Error; err != nil {
		t.Fatal(err)
	}
	token, err := CreateToken(ctx, db.DB, storeID, "test", []Scope{ReadInventory, WriteCatalog})
	if err != nil {
		t.Fatal(err)
	}
	var stored int64
	db.Raw(`SELECT count(*) FROM api_tokens WHERE token_hash = convert_to(?, 'UTF8')`, token).Scan(&stored)
	if stored != 0 {
		t.Errorf("the token is stored in clear")
	}
	p, err := Authenticate(ctx, db.DB, token)
	if err != nil || p.StoreID != storeID || !p.Has(ReadInventory) || !p.Has(WriteCatalog) || p.Has(WriteInventory) {
		t.Fatalf("Authenticate(new token) = %+v, %v, want store %d with read_inventory and write_catalog", p, err, storeID)
	}
	if _, err := Require(WithPrincipal(ctx, p), WriteInventory); apperr.CodeOf(err) != apperr.Forbidden {
		t.Errorf("Require(write_inventory) error = %v, want FORBIDDEN", err)
	}
	if _, err := Require(ctx, ReadInventory); apperr.CodeOf(err) != apperr.Unauthenticated {
		t.Errorf("Require without a principal error = %v, want UNAUTHENTICATED", err)
	}
	if err := RevokeToken(ctx, db.DB, token); err != nil {
		t.Fatal(err)
	}
	if _, err := Authenticate(ctx, db.DB, token); apperr.CodeOf(err) != apperr.Unauthenticated {
		t.Errorf("Authenticate(revoked) error = %v, want UNAUTHENTICATED", err)
	}
	if _, err := Authenticate(ctx, db.DB, "sgt_"+token[4:10]); apperr.CodeOf(err) != apperr.Unauthenticated {
		t.Errorf("Authenticate(unknown) error = %v, want UNAUTHENTICATED", err)
	}
}

// TestTokenExpiryAndUse: an expired token is unknown; a used one says when
// it was last used (noted at most once a minute), and the list shows each
// token without the token itself.
func TestTokenExpiryAndUse(t *testing.T) {
	db := testdb.MustOpenDB(t)
	ctx := context.Background()
	var storeID int64
	if err := db.Raw(`INSERT INTO stores (handle, name) VALUES ('exp', 'Exp') RETURNING id`).Scan(&storeID).Error; err != nil {
		t.Fatal(err)
	}
	live, err := CreateToken(ctx, db.DB, storeID, "live", []Scope{ReadInventory}, time.Now().Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	expired, err := CreateToken(ctx, db.DB, storeID, "expired", []Scope{ReadInventory}, time.Now().Add(-time.Second))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Authenticate(ctx, db.DB, expired); apperr.CodeOf(err) != apperr.Unauthenticated {
		t.Errorf("Authenticate(expired) error = %v, want UNAUTHENTICATED", err)
	}
	before := time.Now().Add(-time.Second)
	for range 3 {
		if _, err := Authenticate(ctx, db.DB, live); err != nil {
			t.Fatalf("Authenticate(live) = %v", err)
		}
	}
	tokens, err := ListTokens(ctx, db.DB, storeID)
	if err != nil || len(tokens) != 2 {
		t.Fatalf("ListTokens = %+v, %v; want 2 tokens", tokens, err)
	}
	if l := tokens[0]; l.Name != "live" || l.LastUsedAt == nil || l.LastUsedAt.Before(before) || l.ExpiresAt == nil {
		t.Errorf("live token = %+v, want last used just now and an expiry", l)
	}
	if e := tokens[1]; e.Name != "expired" || e.LastUsedAt != nil {
		t.Errorf("expired token = %+v, want never used", e)
	}
	if err := RevokeTokenByID(ctx, db.DB, storeID, tokens[0].ID); err != nil {
		t.Fatal(err)
	}
	if err := RevokeTokenByID(ctx, db.DB, storeID, tokens[0].ID); err == nil {
		t.Errorf("revoking a revoked token: no error, want one")
	}
	if _, err := Authenticate(ctx, db.DB, live); apperr.CodeOf(err) != apperr.Unauthenticated {
		t.Errorf("Authenticate(revoked by ID) error = %v, want UNAUTHENTICATED", err)
	}
}
