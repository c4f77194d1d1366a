package inventory

import (
	"context"
	"fmt"

	"gorm.io/gorm"

	"stockgraph/internal/apperr"
	"stockgraph/internal/database"
	"stockgraph/models"
)

// TrackingChange is what a product change does to the tracking of its
// variants' items (Zettle's trackingStatusChange).
type TrackingChange string

// The tracking changes.
const (
	StartTracking    TrackingChange = "START_TRACKING" // trackingMode QUANTITY
	StopTracking     TrackingChange = "STOP_TRACKING"  // trackingMode UNTRACKED
	NoTrackingChange TrackingChange = "NO_CHANGE"
)

// mode is the tracking mode a change sets, "" for none.
func (c TrackingChange) mode() models.TrackingMode {
	switch c {
	case StartTracking:
		return models.TrackQuantity
	case StopTracking:
		return models.TrackUntracked
	}
	return ""
}

// ProductChange is one product of a bulk update: its tracking change and
// the moves of its variants' stock.
type ProductChange struct {
	ProductID int64
	Tracking  TrackingChange
	Moves     []MoveLine
}

// BulkUpdate is Zettle's bulk inventory update: tracking changes and
// moves of several products, applied together or not at all.
type BulkUpdate struct {
	Products       []ProductChange
	Reason         string
	Reference      string
	IdempotencyKey string `json:"-"`
	// ReturnBalanceFor is the location whose balances the result reports;
	// the store's default location when zero.
	ReturnBalanceFor int64
}

// BulkResult is what a bulk update changed, with the balances asked for.
type BulkResult struct {
	MoveResult
	// TrackingChanged is how many items changed tracking mode.
	TrackingChanged int
}

// BulkUpdateStock applies a bulk update in one transaction: first the
// tracking changes, so that a move to an item that starts tracking
// counts, then the moves in order. Any failure leaves everything as it
// was, and each failing line is named as the merchant sent it
// (productChanges[1].variantChanges[0], with its SKU and location). A
// retry with the same idempotency key returns the first result.
func BulkUpdateStock(ctx context.Context, db *gorm.DB, actor Actor, u BulkUpdate) (BulkResult, error) {
	if err := u.validate(); err != nil {
		return BulkResult{}, err
	}
	if u.Reason == "" {
		u.Reason = "bulk update"
	}
	res, replayed, err := runBatch(ctx, db, actor.Store.ID, u.IdempotencyKey, "bulkUpdateInventory", u, false, func(tx *gorm.DB) (BulkResult, error) {
		return bulkUpdate(ctx, tx, actor, u)
	})
	res.Replayed = replayed
	return res, err
}

func (u BulkUpdate) validate() error {
	if err := validateBatch(input{path: "productChanges"}, len(u.Products), RejectEverything); err != nil {
		return err
	}
	moves := 0
	for i, p := range u.Products {
		switch p.Tracking {
		case StartTracking, StopTracking, NoTrackingChange, "":
		default:
			return apperr.New(apperr.BadUserInput, "unknown tracking change %q", p.Tracking).WithField("productChanges.trackingChange").WithIndex(i)
		}
		moves += len(p.Moves)
	}
	if moves > MaxBatch {
		return apperr.New(apperr.BadUserInput, "at most %d variant changes per request, got %d", MaxBatch, moves).WithField("productChanges")
	}
	if err := checkTexts(maxShortText, "reason", u.Reason, "reference", u.Reference); err != nil {
		return err
	}
	return nil
}

func bulkUpdate(ctx context.Context, tx *gorm.DB, actor Actor, u BulkUpdate) (BulkResult, error) {
	var res BulkResult
	if err := checkProductChanges(ctx, tx, actor.Store.ID, u.Products); err != nil {
		return res, err
	}
	// Tracking first: its items are locked in ID order, then the moves'
	// (some again); a deadlock with another write is retried (runBatch).
	for _, mode := range []models.TrackingMode{models.TrackQuantity, models.TrackUntracked} {
		t := Tracking{Mode: mode}
		for _, p := range u.Products {
			if p.Tracking.mode() == mode {
				t.ProductIDs = append(t.ProductIDs, p.ProductID)
			}
		}
		if len(t.ProductIDs) == 0 {
			continue
		}
		n, err := setTracking(ctx, tx, actor, t)
		if err != nil {
			return res, err
		}
		res.TrackingChanged += int(n)
	}
	b := newBatch(ctx, tx, actor, bulkInput(u.Products))
	m, products := u.moves()
	if len(m.Lines) > 0 {
		moved, err := b.applyMove(m, products)
		if err != nil {
			return res, err
		}
		res.MoveResult = moved
	} else if err := b.resolve(nil); err != nil {
		return res, err
	}
	return res, b.bulkBalances(u, &res)
}

// moves flattens the products' moves into one move, with each line's
// product.
func (u BulkUpdate) moves() (Move, []int64) {
	m := Move{Reason: u.Reason, Reference: u.Reference, IdempotencyKey: u.IdempotencyKey}
	var products []int64
	for _, p := range u.Products {
		for _, l := range p.Moves {
			m.Lines = append(m.Lines, l)
			products = append(products, p.ProductID)
		}
	}
	return m, products
}

// bulkInput names the flattened moves as the client nested them.
func bulkInput(products []ProductChange) input {
	type pos struct{ product, change int }
	var at []pos
	for p, pc := range products {
		for c := range pc.Moves {
			at = append(at, pos{p, c})
		}
	}
	return input{path: "productChanges", noun: "change", name: func(i int) lineName {
		p := at[i]
		return lineName{path: fmt.Sprintf("productChanges[%d].variantChanges[%d]", p.product, p.change),
			label: fmt.Sprintf("product change %d, variant change %d", p.product, p.change), index: p.product}
	}}
}

// checkProductChanges refuses products the store does not have, and a
// product named twice (its tracking changes could disagree).
func checkProductChanges(ctx context.Context, tx *gorm.DB, storeID int64, products []ProductChange) error {
	ids := make([]int64, len(products))
	for i, p := range products {
		ids[i] = p.ProductID
	}
	var found []int64
	if err := tx.WithContext(ctx).Raw(`SELECT id FROM products WHERE store_id = ? AND id = ANY(?::bigint[])`, storeID, database.Int64s(ids)).
		Scan(&found).Error; err != nil {
		return fmt.Errorf("read products: %w", err)
	}
	exists := setOf(found)
	var errs apperr.List
	seen := map[int64]int{}
	for i, id := range ids {
		if j, dup := seen[id]; dup {
			errs = append(errs, apperr.New(apperr.BadUserInput, "product change %d: names product %d, as product change %d does", i, id, j).
				WithField("productChanges.productId").WithIndex(i))
		} else if !exists[id] {
			errs = append(errs, apperr.New(apperr.NotFound, "product change %d: no product with ID %d", i, id).
				WithField("productChanges.productId").WithIndex(i))
		}
		seen[id] = i
	}
	return errs.Err()
}

// bulkBalances sets the balances the update returns: at the location
// asked for, else the store's default, of every variant moved and every
// variant of a product whose tracking changed.
func (b *batch) bulkBalances(u BulkUpdate, res *BulkResult) error {
	res.BalanceLocationID = u.ReturnBalanceFor
	if res.BalanceLocationID == 0 {
		d := b.actor.Store.DefaultLocationID
		if d == nil {
			return apperr.New(apperr.NoDefaultLocation, "returnBalanceForLocationId is left out and the store has no default location; pass it, or set one with updateInventoryConfiguration(input: {defaultLocationId: …})").
				WithField("returnBalanceForLocationId")
		}
		res.BalanceLocationID = *d
	}
	var tracked []int64
	for _, p := range u.Products {
		if p.Tracking.mode() != "" {
			tracked = append(tracked, p.ProductID)
		}
	}
	var variants []int64
	if err := b.tx.WithContext(b.ctx).Raw(`SELECT id FROM variants WHERE store_id = ? AND product_id = ANY(?::bigint[])`,
		b.actor.Store.ID, database.Int64s(tracked)).Scan(&variants).Error; err != nil {
		return fmt.Errorf("read the variants of the products tracked: %w", err)
	}
	var err error
	res.Balances, err = balancesAt(b.ctx, b.tx, b.actor.Store.ID, res.BalanceLocationID, b.resolved, uniqueVariants(append(variants, b.variants...)))
	return err
}
