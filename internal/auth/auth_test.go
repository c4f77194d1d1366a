package auth

import (
	"context"
	"slices"
	"testing"

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
	if err != nil || p.Store.ID != storeID || !p.Has(ReadInventory) || !p.Has(WriteCatalog) || p.Has(WriteInventory) {
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
