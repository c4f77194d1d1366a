// Package auth owns API tokens: creating them, storing only their hash,
// finding the store and scopes behind a bearer token, and carrying the
// caller in the request context.
package auth

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"gorm.io/gorm"

	"stockgraph/internal/apperr"
	"stockgraph/internal/database"
	"stockgraph/models"
)

// Scope is a permission a token carries.
type Scope string

// The scopes. Reading anything needs ReadInventory, which every other
// scope includes (see Principal.Has).
const (
	ReadInventory  Scope = "read_inventory"
	WriteInventory Scope = "write_inventory"
	WriteCatalog   Scope = "write_catalog"
	ManageWebhooks Scope = "manage_webhooks"
)

// AllScopes lists every scope, for tokens that may do everything.
var AllScopes = []Scope{ReadInventory, WriteInventory, WriteCatalog, ManageWebhooks}

// ParseScopes reads a comma-separated scope list such as
// "read_inventory,write_inventory".
func ParseScopes(list string) ([]Scope, error) {
	var scopes []Scope
	for _, s := range strings.Split(list, ",") {
		s = strings.TrimSpace(strings.ToLower(s))
		if s == "" {
			continue
		}
		if !slices.Contains(AllScopes, Scope(s)) {
			return nil, fmt.Errorf("unknown scope %q; scopes are %s", s, joinScopes(AllScopes))
		}
		if !slices.Contains(scopes, Scope(s)) {
			scopes = append(scopes, Scope(s))
		}
	}
	if len(scopes) == 0 {
		return nil, fmt.Errorf("no scopes given; scopes are %s", joinScopes(AllScopes))
	}
	return scopes, nil
}

func joinScopes(scopes []Scope) string {
	names := make([]string, len(scopes))
	for i, s := range scopes {
		names[i] = string(s)
	}
	return strings.Join(names, ", ")
}

// Principal is who makes a request: a token of one store. It names the
// store and does not carry its row: the store's switches decide writes
// and what reads show, so they are read where they are used (in a
// write's transaction, or once per operation by its loaders), never
// from a token lookup a cache may have kept for a second.
type Principal struct {
	StoreID int64
	TokenID int64
	Scopes  []Scope
	// expires is when the token expires (zero: never), for the cache.
	expires time.Time
}

// Has reports whether the principal's token carries scope. Every scope
// includes ReadInventory, as Shopify's write scopes include their read
// scopes: a token that changes stock, the catalog or webhooks sees what it
// changes in payloads, dry runs, errors and deliveries, so the scopes say
// so instead of pretending otherwise.
func (p *Principal) Has(scope Scope) bool {
	if scope == ReadInventory && len(p.Scopes) > 0 {
		return true
	}
	return slices.Contains(p.Scopes, scope)
}

type principalKey struct{}

// WithPrincipal returns a context carrying p.
// Its writes are the token's: the audit log names it.
func WithPrincipal(ctx context.Context, p *Principal) context.Context {
	if p != nil {
		ctx = database.WithActor(ctx, p.TokenID)
	}
	return context.WithValue(ctx, principalKey{}, p)
}

// FromContext returns the request's principal, or nil.
func FromContext(ctx context.Context) *Principal {
	p, _ := ctx.Value(principalKey{}).(*Principal)
	return p
}

// Require returns the principal if it carries scope, and a client error
// otherwise.
func Require(ctx context.Context, scope Scope) (*Principal, error) {
	p := FromContext(ctx)
	if p == nil {
		return nil, apperr.New(apperr.Unauthenticated, "no API token: send Authorization: Bearer <token>")
	}
	if !p.Has(scope) {
		return nil, apperr.New(apperr.Forbidden, "this token lacks the %s scope", scope)
	}
	return p, nil
}

// tokenPrefix makes the project's tokens easy to spot in logs and scanners.
const tokenPrefix = "sgt_"

// CreateToken makes a new token for a store and stores its hash. The token
// is returned once and cannot be recovered later. A zero expiry never
// expires.
func CreateToken(ctx context.Context, db *gorm.DB, storeID int64, name string, scopes []Scope, expires ...time.Time) (string, error) {
	secret := make([]byte, 24)
	if _, err := rand.Read(secret); err != nil {
		return "", fmt.Errorf("read random bytes: %w", err)
	}
	token := tokenPrefix + base64.RawURLEncoding.EncodeToString(secret)
	names := make(models.StringArray, len(scopes))
	for i, s := range scopes {
		names[i] = string(s)
	}
	row := models.APIToken{StoreID: storeID, Name: name, TokenHash: hash(token), Scopes: names}
	if len(expires) > 0 && !expires[0].IsZero() {
		at := expires[0].UTC()
		row.ExpiresAt = &at
	}
	err := database.Tx(ctx, db, func(tx *gorm.DB) error {
		if err := tx.Create(&row).Error; err != nil {
			return err
		}
		return tx.Exec(`INSERT INTO api_token_use (store_id, token_id) VALUES (?, ?)`, storeID, row.ID).Error
	})
	if err != nil {
		return "", fmt.Errorf("store token: %w", err)
	}
	return token, nil
}

// Authenticate finds the principal behind a bearer token in one statement,
// which also notes the token's use (at most once a minute). A revoked or
// expired token is unknown.
func Authenticate(ctx context.Context, db *gorm.DB, token string) (*Principal, error) {
	if !strings.HasPrefix(token, tokenPrefix) {
		return nil, errBadToken
	}
	return lookup(ctx, db, hash(token))
}

func lookup(ctx context.Context, db *gorm.DB, tokenHash []byte) (*Principal, error) {
	var row struct {
		StoreID   int64
		ID        int64
		Scopes    models.StringArray
		ExpiresAt *time.Time
	}
	err := db.WithContext(ctx).Raw(`
		WITH t AS (
			SELECT store_id, id, scopes, expires_at FROM api_tokens
			WHERE token_hash = ? AND revoked_at IS NULL AND (expires_at IS NULL OR expires_at > now())),
		used AS (
			UPDATE api_token_use u SET last_used_at = now() FROM t
			WHERE u.store_id = t.store_id AND u.token_id = t.id AND u.last_used_at < now() - interval '1 minute')
		SELECT store_id, id, scopes, expires_at FROM t`, tokenHash).Scan(&row).Error
	if err != nil {
		return nil, fmt.Errorf("look up token: %w", err)
	}
	if row.ID == 0 {
		return nil, errBadToken
	}
	p := &Principal{StoreID: row.StoreID, TokenID: row.ID, Scopes: make([]Scope, len(row.Scopes))}
	for i, s := range row.Scopes {
		p.Scopes[i] = Scope(s)
	}
	if row.ExpiresAt != nil {
		p.expires = *row.ExpiresAt
	}
	return p, nil
}

// TokenInfo is what can be said of a token without the token itself.
type TokenInfo struct {
	ID         int64
	Name       string
	Scopes     models.StringArray
	CreatedAt  time.Time
	ExpiresAt  *time.Time
	LastUsedAt *time.Time
	RevokedAt  *time.Time
}

// ListTokens returns the store's tokens, oldest first, revoked ones too.
func ListTokens(ctx context.Context, db *gorm.DB, storeID int64) ([]TokenInfo, error) {
	var out []TokenInfo
	err := db.WithContext(ctx).Raw(`
		SELECT t.id, t.name, t.scopes, t.created_at, t.expires_at, t.revoked_at,
		       CASE WHEN u.last_used_at > '-infinity' THEN u.last_used_at END AS last_used_at
		FROM api_tokens t LEFT JOIN api_token_use u ON u.store_id = t.store_id AND u.token_id = t.id
		WHERE t.store_id = ? ORDER BY t.id`, storeID).Scan(&out).Error
	if err != nil {
		return nil, fmt.Errorf("list tokens: %w", err)
	}
	return out, nil
}

// RevokeTokenByID stops one of the store's tokens from working.
func RevokeTokenByID(ctx context.Context, db *gorm.DB, storeID, id int64) error {
	return revoke(ctx, db, "store_id = ? AND id = ?", storeID, id)
}

var errBadToken = apperr.New(apperr.Unauthenticated, "the API token is unknown or revoked")

// RevokeToken stops a token from working.
func RevokeToken(ctx context.Context, db *gorm.DB, token string) error {
	return revoke(ctx, db, "token_hash = ?", hash(token))
}

func revoke(ctx context.Context, db *gorm.DB, where string, args ...any) error {
	return database.Tx(ctx, db, func(tx *gorm.DB) error {
		res := tx.Model(&models.APIToken{}).Where(where+" AND revoked_at IS NULL", args...).Update("revoked_at", time.Now().UTC())
		if res.Error != nil {
			return fmt.Errorf("revoke token: %w", res.Error)
		}
		if res.RowsAffected == 0 {
			return errors.New("no such active token")
		}
		return nil
	})
}

func hash(token string) []byte {
	sum := sha256.Sum256([]byte(token))
	return sum[:]
}

// BearerToken extracts the token from an Authorization header value.
func BearerToken(header string) (string, bool) {
	scheme, token, ok := strings.Cut(strings.TrimSpace(header), " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") || strings.TrimSpace(token) == "" {
		return "", false
	}
	return strings.TrimSpace(token), true
}

// TokenNames returns the names of the store's tokens with the given IDs,
// revoked ones too, keyed by ID: events and movements name who made them.
func TokenNames(ctx context.Context, db *gorm.DB, storeID int64, ids []int64) (map[int64]string, error) {
	var rows []models.APIToken
	if err := db.WithContext(ctx).Select("id", "name").Where("store_id = ? AND id IN ?", storeID, ids).Find(&rows).Error; err != nil {
		return nil, fmt.Errorf("load token names: %w", err)
	}
	out := make(map[int64]string, len(rows))
	for _, r := range rows {
		out[r.ID] = r.Name
	}
	return out, nil
}
