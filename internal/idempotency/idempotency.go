// Package idempotency makes mutations safe to retry: the first request
// with a key stores its result in the same transaction as its effects; a
// later request with the same key and the same input gets that result
// back and changes nothing; one with a different input is refused.
package idempotency

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"fmt"

	"gorm.io/gorm"

	"stockgraph/internal/apperr"
	"stockgraph/internal/database"
)

// MaxKeyLength bounds a key (Zettle's externalUuid fits many times over).
const MaxKeyLength = 255

// Run runs fn, inside tx, at most once per store and key. request is the
// input that the key stands for (compared by the hash of its JSON);
// operation names the mutation as the schema does (adjustInventoryRelative). replayed says the result is the stored one.
// Run the transaction with database.RetryTx: two requests with one key at
// the same time make the second retry, and then it finds the first's result.
func Run[T any](ctx context.Context, tx *gorm.DB, storeID int64, key, operation string, request any, fn func() (T, error)) (result T, replayed bool, err error) {
	if key == "" {
		result, err = fn()
		return result, false, err
	}
	if len(key) > MaxKeyLength {
		return result, false, apperr.New(apperr.BadUserInput, "idempotencyKey has at most %d characters", MaxKeyLength).WithField("idempotencyKey")
	}
	hash, err := hashOf(request)
	if err != nil {
		return result, false, err
	}
	var stored []struct {
		Operation   string
		RequestHash []byte
		Response    []byte
	}
	err = tx.WithContext(ctx).Raw(`SELECT operation, request_hash, response FROM idempotency_keys WHERE store_id = ? AND key = ?`,
		storeID, key).Scan(&stored).Error
	if err != nil {
		return result, false, fmt.Errorf("look up idempotency key: %w", err)
	}
	if len(stored) == 1 {
		s := stored[0]
		if err := reused(key, operation, s.Operation, string(s.RequestHash) == string(hash)); err != nil {
			return result, false, err
		}
		if err := json.Unmarshal(s.Response, &result); err != nil {
			return result, false, fmt.Errorf("decode stored result: %w", err)
		}
		return result, true, nil
	}
	if result, err = fn(); err != nil {
		return result, false, err
	}
	response, err := json.Marshal(result)
	if err != nil {
		return result, false, fmt.Errorf("encode result: %w", err)
	}
	res := tx.WithContext(ctx).Exec(`INSERT INTO idempotency_keys (store_id, key, operation, request_hash, response)
		VALUES (?, ?, ?, ?, ?) ON CONFLICT (store_id, key) DO NOTHING`, storeID, key, operation, hash, string(response))
	if res.Error != nil {
		return result, false, fmt.Errorf("store idempotency key: %w", res.Error)
	}
	if res.RowsAffected == 0 {
		// A concurrent request with the same key committed first: undo
		// ours and return its result on the retry.
		return result, false, fmt.Errorf("idempotency key %q: %w", key, database.ErrRetry)
	}
	return result, false, nil
}

// reused refuses a key used before for another mutation or input. The
// operations are named as the schema names the mutations.
func reused(key, operation, stored string, sameInput bool) *apperr.Error {
	switch {
	case stored != operation:
		return apperr.New(apperr.IdempotencyKeyReused,
			"idempotency key %q was used for %s; use a new key for this %s", key, stored, operation).WithField("idempotencyKey")
	case !sameInput:
		return apperr.New(apperr.IdempotencyKeyReused,
			"idempotency key %q was used for %s with a different input; use a new key for a new request", key, stored).WithField("idempotencyKey")
	}
	return nil
}

func hashOf(request any) ([]byte, error) {
	b, err := json.Marshal(request)
	if err != nil {
		return nil, fmt.Errorf("hash request: %w", err)
	}
	sum := sha256.Sum256(b)
	return sum[:], nil
}
