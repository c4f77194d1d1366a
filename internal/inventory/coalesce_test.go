package inventory_test

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"regexp"
	"strconv"
	"sync"
	"testing"

	"gorm.io/gorm"

	"stockgraph/internal/apperr"
	"stockgraph/internal/inventory"
	"stockgraph/internal/seed"
	"stockgraph/internal/testsupport/testdb"
	"stockgraph/models"
)

// twin is one of two stores seeded alike, so that the same requests can
// run through the coalesced path in one and one by one in the other.
type twin struct {
	actor          inventory.Actor
	variant        int64
	location       int64
	item           int64
	sku            string
	normalizeNames *regexp.Regexp
}

// newTwin seeds a store whose IDs start at base, so that they cannot be
// mistaken for levels or revisions when the twin normalizes its names.
func newTwin(t *testing.T, db *gorm.DB, handle string, base int64) twin {
	t.Helper()
	for _, table := range []string{"stores", "locations", "products", "variants", "inventory_items"} {
		must(t, db.Exec(`SELECT setval(pg_get_serial_sequence(?, 'id'), ?)`, table, base).Error)
	}
	res, err := seed.Run(context.Background(), db, seed.Options{StoreHandle: handle, Products: 1, Variants: 1, Locations: 1})
	if err != nil {
		t.Fatal(err)
	}
	tw := twin{actor: inventory.Actor{Store: res.Store}}
	row := db.Raw(`SELECT i.id, i.variant_id, i.location_id, v.sku FROM inventory_items i JOIN variants v ON v.id = i.variant_id
		JOIN locations l ON l.id = i.location_id WHERE i.store_id = ? AND l.type IN ('STORE', 'WAREHOUSE') ORDER BY i.id LIMIT 1`, res.Store.ID).Row()
	if err := row.Scan(&tw.item, &tw.variant, &tw.location, &tw.sku); err != nil {
		t.Fatal(err)
	}
	ids := []string{strconv.FormatInt(tw.item, 10), strconv.FormatInt(tw.variant, 10), strconv.FormatInt(tw.location, 10)}
	tw.normalizeNames = regexp.MustCompile(`\b(` + regexp.QuoteMeta(tw.sku) + `|` + ids[0] + `|` + ids[1] + `|` + ids[2] + `)\b`)
	return tw
}

// normalize replaces the twin's own names (IDs, SKU) in s, so that the
// twins' outcomes compare equal when they are the same.
func (tw twin) normalize(s string) string {
	return tw.normalizeNames.ReplaceAllStringFunc(s, func(m string) string {
		switch m {
		case tw.sku:
			return "<sku>"
		case strconv.FormatInt(tw.item, 10):
			return "<item>"
		case strconv.FormatInt(tw.variant, 10):
			return "<variant>"
		}
		return "<location>"
	})
}

// request is one adjustment of the twin's item, as a stream draws it.
type request struct {
	mode           inventory.AdjustMode
	quantity       *int
	qtyBackordered *int
	revision       *int64
	key            string
	reference      string
}

func (r request) adjustment(tw twin) inventory.Adjustment {
	return inventory.Adjustment{Mode: r.mode, Reason: "stream", Reference: r.reference, IdempotencyKey: r.key,
		Lines: []inventory.AdjustLine{{LocationID: tw.location, Variant: inventory.VariantRef{VariantID: tw.variant},
			Quantity: r.quantity, QtyBackordered: r.qtyBackordered, ExpectedRevision: r.revision}}}
}

// drawStream draws up to 16 requests meant to hit every rule: levels out
// of bounds and below zero, backorders past the limit, right and wrong
// revisions, idempotency keys repeated with the same and other input.
func drawStream(rng *rand.Rand, stream int, revision int64) []request {
	out := make([]request, 2+rng.IntN(15))
	for i := range out {
		r := request{mode: inventory.Relative, reference: fmt.Sprintf("ref-%d", rng.IntN(3))}
		if rng.IntN(2) == 0 {
			r.mode = inventory.Absolute
		}
		if rng.IntN(5) > 0 {
			q := rng.IntN(41) - 20
			if rng.IntN(25) == 0 {
				q = inventory.MaxLevel + 1 + rng.IntN(3)
			}
			r.quantity = &q
		}
		if r.quantity == nil || rng.IntN(4) == 0 {
			b := rng.IntN(18) - 5
			r.qtyBackordered = &b
		}
		if rng.IntN(5) == 0 {
			rev := revision + int64(rng.IntN(len(out)+1))
			r.revision = &rev
		}
		if rng.IntN(4) == 0 {
			r.key = fmt.Sprintf("key-%d-%d", stream, rng.IntN(3))
		}
		if i > 0 && rng.IntN(6) == 0 {
			r = out[rng.IntN(i)] // sent again: a retry, or the same key twice
		}
		out[i] = r
	}
	return out
}

// outcomeOf is a request's outcome with the twin's names normalized and
// what differs by nature (IDs, operation IDs, times) left out.
func outcomeOf(tw twin, res inventory.ChangeResult, err error) string {
	type view struct {
		Error     map[string]any `json:",omitempty"`
		Message   string         `json:",omitempty"`
		Items     []map[string]int64
		Movements []map[string]any
		Lines     []string
		Replayed  bool
	}
	v := view{Replayed: res.Replayed}
	if err != nil {
		e, ok := apperr.As(err)
		if !ok {
			return "not a refusal: " + err.Error()
		}
		v.Error, v.Message = e.Extensions(), e.Message
	}
	for _, it := range res.Items {
		v.Items = append(v.Items, levelsOf(it))
	}
	for _, m := range res.Movements {
		v.Movements = append(v.Movements, movementOf(m))
	}
	for _, l := range res.Lines {
		v.Lines = append(v.Lines, fmt.Sprintf("%d %v", l.Index, l.Error))
	}
	b, _ := json.Marshal(v)
	return tw.normalize(string(b))
}

func levelsOf(it models.InventoryItem) map[string]int64 {
	out := map[string]int64{"revision": it.Revision, "backorderLimit": int64(it.BackorderLimit)}
	for _, q := range models.QuantityColumns {
		out[q.Column] = int64(*it.Quantity(q.State))
	}
	return out
}

func movementOf(m models.Movement) map[string]any {
	return map[string]any{"from": m.FromState, "to": m.ToState, "quantity": m.Quantity, "reason": m.Reason,
		"reference": m.Reference, "key": m.IdempotencyKey, "fromBalance": m.FromBalance, "toBalance": m.ToBalance}
}

// history is the twin's item, ledger rows and events after the row IDs
// given, normalized.
func (tw twin) history(t *testing.T, db *gorm.DB, afterMovement, afterEvent int64) string {
	t.Helper()
	var it models.InventoryItem
	var ms []models.Movement
	var evs []models.StockEvent
	must(t, db.Where("store_id = ? AND id = ?", tw.actor.Store.ID, tw.item).Take(&it).Error)
	must(t, db.Where("store_id = ? AND id > ?", tw.actor.Store.ID, afterMovement).Order("id").Find(&ms).Error)
	must(t, db.Where("store_id = ? AND id > ?", tw.actor.Store.ID, afterEvent).Order("id").Find(&evs).Error)
	var out []any
	out = append(out, levelsOf(it))
	for _, m := range ms {
		out = append(out, movementOf(m))
	}
	for _, e := range evs {
		out = append(out, map[string]any{"type": e.Type, "before": e.Before, "after": e.After, "reason": e.Reason,
			"reference": e.Reference, "movements": len(e.MovementIDs)})
	}
	b, _ := json.Marshal(out)
	return tw.normalize(string(b))
}

func (tw twin) lastIDs(t *testing.T, db *gorm.DB) (movement, event int64) {
	t.Helper()
	must(t, db.Raw(`SELECT coalesce(max(id), 0) FROM inventory_movements WHERE store_id = ?`, tw.actor.Store.ID).Scan(&movement).Error)
	must(t, db.Raw(`SELECT coalesce(max(id), 0) FROM stock_events WHERE store_id = ?`, tw.actor.Store.ID).Scan(&event).Error)
	return movement, event
}

// prepare gives the twin's item the stream's starting levels and limit
// and the store the stream's switches, the same way for both twins.
func (tw *twin) prepare(t *testing.T, db *gorm.DB, onHand, limit int, negative, backorders bool) int64 {
	t.Helper()
	ctx := context.Background()
	store, err := inventory.UpdateConfiguration(ctx, db, tw.actor.Store.ID,
		inventory.ConfigurationPatch{AllowNegativeStock: &negative, BackordersEnabled: &backorders})
	must(t, err)
	tw.actor.Store = store
	must(t, db.Exec(`UPDATE inventory_items SET backorder_limit = ? WHERE id = ?`, limit, tw.item).Error)
	zero := 0
	res, err := inventory.Adjust(ctx, db, tw.actor, inventory.Adjustment{Mode: inventory.Absolute, Reason: "start",
		Lines: []inventory.AdjustLine{{LocationID: tw.location, Variant: inventory.VariantRef{VariantID: tw.variant}, Quantity: &onHand, QtyBackordered: &zero}}})
	must(t, err)
	return res.Items[0].Revision
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// TestCoalescedEqualsOneByOne runs the same random request streams through
// a coalesced group in one store and one by one in its twin, and compares
// every request's result or error, and the item, its ledger rows and its
// events after each stream.
func TestCoalescedEqualsOneByOne(t *testing.T) {
	db := testdb.MustOpenDB(t).DB
	grouped, single := newTwin(t, db, "grouped", 7_000_000), newTwin(t, db, "single", 8_000_000)
	ctx := context.Background()
	rng := rand.New(rand.NewPCG(1, 10))
	seen := map[string]int{}
	for stream := range 60 {
		onHand, limit, negative, backorders := rng.IntN(15), rng.IntN(10), rng.IntN(3) == 0, rng.IntN(4) > 0
		revision := grouped.prepare(t, db, onHand, limit, negative, backorders)
		if r := single.prepare(t, db, onHand, limit, negative, backorders); r != revision {
			t.Fatalf("stream %d: the twins start at revisions %d and %d", stream, revision, r)
		}
		reqs := drawStream(rng, stream, revision)
		gm, ge := grouped.lastIDs(t, db)
		sm, se := single.lastIDs(t, db)
		as := make([]inventory.Adjustment, len(reqs))
		for i, r := range reqs {
			as[i] = r.adjustment(grouped)
		}
		results, errs, err := inventory.ApplyGroup(ctx, db, grouped.actor, as)
		if err != nil {
			t.Fatalf("stream %d: the group failed: %v", stream, err)
		}
		for i, r := range reqs {
			res, err := inventory.Adjust(ctx, db, single.actor, r.adjustment(single))
			seen[outcomeKind(res, err)]++
			got, want := outcomeOf(grouped, results[i], errs[i]), outcomeOf(single, res, err)
			if got != want {
				t.Fatalf("stream %d, request %d (%+v):\ncoalesced  %s\none by one %s", stream, i, r, got, want)
			}
		}
		if got, want := grouped.history(t, db, gm, ge), single.history(t, db, sm, se); got != want {
			t.Fatalf("stream %d: item, ledger and events differ:\ncoalesced  %s\none by one %s", stream, got, want)
		}
	}
	for _, tw := range []twin{grouped, single} {
		fx := fixture{db: db, actor: tw.actor}
		fx.mustBeConsistent(t)
	}
	// The streams must have met every rule, or they compared little.
	for _, kind := range []string{"applied", "replayed", "NEGATIVE_STOCK", "BACKORDER_LIMIT_EXCEEDED", "REVISION_CONFLICT",
		"IDEMPOTENCY_KEY_REUSED", "BAD_USER_INPUT"} {
		if seen[kind] == 0 {
			t.Errorf("no request of the streams was %s (outcomes: %v)", kind, seen)
		}
	}
	t.Logf("outcomes: %v", seen)
}

func outcomeKind(res inventory.ChangeResult, err error) string {
	switch {
	case err != nil:
		return string(apperr.CodeOf(err))
	case res.Replayed:
		return "replayed"
	}
	return "applied"
}

// TestCoalescerSellsExactly has 32 clients take one unit at a time of an
// item with 100 on hand through one Coalescer: exactly 100 succeed, the
// others are refused with NEGATIVE_STOCK, and the ledger explains the
// level. Sending every request again with its idempotency key replays each
// result and changes nothing.
func TestCoalescerSellsExactly(t *testing.T) {
	f := newFixture(t, 1, 1)
	v, l := f.variants[0], f.physical[0]
	f.setOnHand(t, l, map[int64]int{v: 100})
	c := inventory.NewCoalescer(f.db)
	const clients, each = 32, 8
	send := func() (taken, refused int) {
		var mu sync.Mutex
		var wg sync.WaitGroup
		for g := range clients {
			wg.Go(func() {
				for i := range each {
					_, err := c.Adjust(context.Background(), f.actor, inventory.Adjustment{Mode: inventory.Relative, Reason: "sale",
						IdempotencyKey: fmt.Sprintf("sale-%d-%d", g, i),
						Lines:          []inventory.AdjustLine{{LocationID: l, Variant: ref(v), Quantity: ptr(-1)}}})
					mu.Lock()
					switch {
					case err == nil:
						taken++
					case apperr.CodeOf(err) == apperr.NegativeStock:
						refused++
					default:
						t.Errorf("client %d: %v", g, err)
					}
					mu.Unlock()
				}
			})
		}
		wg.Wait()
		return taken, refused
	}
	taken, refused := send()
	if taken != 100 || refused != clients*each-100 {
		t.Fatalf("taken, refused = %d, %d, want 100, %d", taken, refused, clients*each-100)
	}
	if it := f.item(t, v, l); it.OnHand != 0 {
		t.Fatalf("on hand = %d, want 0", it.OnHand)
	}
	f.mustBeConsistent(t)
	moves := f.movementCount(t)
	if taken, _ := send(); taken != 100 {
		t.Fatalf("replayed: taken = %d, want the same 100", taken)
	}
	if got := f.movementCount(t); got != moves {
		t.Fatalf("replaying wrote %d ledger rows", got-moves)
	}
}
