package inventory_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"sync"
	"testing"
	"time"

	"stockgraph/internal/apperr"
	"stockgraph/internal/inventory"
	"stockgraph/internal/ledger"
	"stockgraph/models"
)

// qlevels are the quantities an adjustment or a move can change.
type qlevels struct{ OnHand, Backordered, Damaged, QC, Incoming int }

func qlevelsOf(it models.InventoryItem) qlevels {
	return qlevels{it.OnHand, it.QtyBackordered, it.Damaged, it.QualityControl, it.Incoming}
}

func (l *qlevels) add(s models.QuantityState, n int) {
	switch s {
	case models.StateOnHand:
		l.OnHand += n
	case models.StateBackordered:
		l.Backordered += n
	case models.StateDamaged:
		l.Damaged += n
	case models.StateQualityControl:
		l.QC += n
	case models.StateIncoming:
		l.Incoming += n
	}
}

// effect is what one successful operation did to one item: absolute
// levels set, then relative changes added.
type effect struct {
	setOnHand, setBackordered *int
	add                       qlevels
}

func (e effect) apply(l qlevels) qlevels {
	if e.setOnHand != nil {
		l.OnHand = *e.setOnHand
	}
	if e.setBackordered != nil {
		l.Backordered = *e.setBackordered
	}
	l.OnHand += e.add.OnHand
	l.Backordered += e.add.Backordered
	l.Damaged += e.add.Damaged
	l.QC += e.add.QC
	l.Incoming += e.add.Incoming
	return l
}

// observation is an item as a successful operation returned it. changed
// says the operation wrote the item (and so bumped its revision once).
type observation struct {
	itemID   int64
	revision int64
	levels   qlevels
	changed  bool
	eff      effect
	what     string
}

// propertyWorld is what the workers share, read-only.
type propertyWorld struct {
	f        fixture
	variants []int64
	physical []int64
	virt     virtualIDs
	itemID   map[[2]int64]int64 // (variant, location) → item ID
}

// propertyWorker runs a random workload and records what succeeded.
type propertyWorker struct {
	w        *propertyWorld
	rng      *rand.Rand
	lastRev  map[int64]int64
	obs      []observation
	ok       int
	failures map[apperr.Code]int
	problems []string
}

func (p *propertyWorker) problem(format string, args ...any) {
	p.problems = append(p.problems, fmt.Sprintf(format, args...))
}

func (p *propertyWorker) pick(xs []int64) int64 { return xs[p.rng.IntN(len(xs))] }

// distinctItems picks n different (variant, physical location) pairs.
func (p *propertyWorker) distinctItems(n int) [][2]int64 {
	var out [][2]int64
	for len(out) < n {
		k := [2]int64{p.pick(p.w.variants), p.pick(p.w.physical)}
		if !slices.Contains(out, k) {
			out = append(out, k)
		}
	}
	return out
}

// nonZero returns a random integer in [lo, hi] other than zero.
func (p *propertyWorker) nonZero(lo, hi int) int {
	for {
		if n := lo + p.rng.IntN(hi-lo+1); n != 0 {
			return n
		}
	}
}

// allowed are the codes a random operation may legitimately fail with.
var propertyAllowed = []apperr.Code{apperr.NegativeStock, apperr.RevisionConflict, apperr.BackorderLimitExceeded}

func (p *propertyWorker) failed(what string, err error, allowed ...apperr.Code) {
	code := apperr.CodeOf(err)
	if !slices.Contains(allowed, code) {
		p.problem("%s error = %v (code %s), want success or one of %v", what, err, code, allowed)
		return
	}
	p.failures[code]++
}

func (p *propertyWorker) run(ctx context.Context, ops int) {
	for range ops {
		switch n := p.rng.IntN(100); {
		case n < 25:
			p.adjust(ctx, inventory.Relative)
		case n < 40:
			p.adjust(ctx, inventory.Absolute)
		case n < 45:
			p.oversell(ctx)
		default:
			p.move(ctx)
		}
	}
}

// adjust sends a random adjustment of one to three items; some lines name
// the revision this worker saw last, which other workers may have passed.
func (p *propertyWorker) adjust(ctx context.Context, mode inventory.AdjustMode) {
	a := inventory.Adjustment{Mode: mode, Reason: "property " + string(mode)}
	if p.rng.IntN(3) == 0 {
		a.Policy = inventory.RejectFailedRows
	}
	for _, k := range p.distinctItems(1 + p.rng.IntN(3)) {
		l := inventory.AdjustLine{LocationID: k[1], Variant: ref(k[0])}
		both := p.rng.IntN(3) == 0
		if mode == inventory.Relative {
			if both || p.rng.IntN(2) == 0 {
				l.Quantity = ptr(p.nonZero(-8, 12))
			}
			if both || l.Quantity == nil {
				l.QtyBackordered = ptr(p.nonZero(-3, 4))
			}
		} else {
			if both || p.rng.IntN(3) > 0 {
				l.Quantity = ptr(p.rng.IntN(61))
			}
			if both || l.Quantity == nil {
				l.QtyBackordered = ptr(p.rng.IntN(13))
			}
		}
		if rev, seen := p.lastRev[p.w.itemID[k]]; seen && p.rng.IntN(4) == 0 {
			l.ExpectedRevision = ptr(rev)
		}
		a.Lines = append(a.Lines, l)
	}
	what := fmt.Sprintf("Adjust(%s, %s, %d lines)", mode, a.Policy, len(a.Lines))
	res, err := inventory.Adjust(ctx, p.w.f.db, p.w.f.actor, a)
	if err != nil {
		p.failed(what, err, propertyAllowed...)
		return
	}
	p.ok++
	if len(res.Lines) != len(a.Lines) {
		p.problem("%s returned %d line results, want %d", what, len(res.Lines), len(a.Lines))
		return
	}
	touched := map[[2]int64]bool{}
	for _, m := range res.Movements {
		touched[[2]int64{m.VariantID, m.FromLocationID}] = true
		touched[[2]int64{m.VariantID, m.ToLocationID}] = true
	}
	for i, lr := range res.Lines {
		l := a.Lines[i]
		if lr.Index != i {
			p.problem("%s line %d has index %d", what, i, lr.Index)
		}
		if lr.Error != nil {
			if a.Policy != inventory.RejectFailedRows {
				p.problem("%s succeeded with an error on line %d: %v", what, i, lr.Error)
			}
			p.failed(what+" line", lr.Error, propertyAllowed...)
			continue
		}
		if lr.Item == nil {
			p.problem("%s line %d has neither item nor error", what, i)
			continue
		}
		it := *lr.Item
		var e effect
		if mode == inventory.Absolute {
			e.setOnHand, e.setBackordered = l.Quantity, l.QtyBackordered
		} else {
			if l.Quantity != nil {
				e.add.OnHand = *l.Quantity
			}
			if l.QtyBackordered != nil {
				e.add.Backordered = *l.QtyBackordered
			}
		}
		changed := touched[[2]int64{it.VariantID, it.LocationID}]
		if l.ExpectedRevision != nil {
			want := *l.ExpectedRevision
			if changed {
				want++
			}
			if it.Revision != want {
				p.problem("%s line %d with expectedRevision %d: item revision = %d, want %d", what, i, *l.ExpectedRevision, it.Revision, want)
			}
		}
		p.observe(it, changed, e, what)
	}
}

// oversell takes far more than any item can hold: it must fail.
func (p *propertyWorker) oversell(ctx context.Context) {
	k := p.distinctItems(1)[0]
	what := "Adjust(relative −5000)"
	_, err := inventory.Adjust(ctx, p.w.f.db, p.w.f.actor, inventory.Adjustment{Mode: inventory.Relative, Reason: "oversell",
		Lines: []inventory.AdjustLine{{LocationID: k[1], Variant: ref(k[0]), Quantity: ptr(-5000)}}})
	if err == nil {
		p.problem("%s succeeded, want NEGATIVE_STOCK", what)
		return
	}
	p.failed(what, err, apperr.NegativeStock)
}

// move sends a random move of one to three lines of every kind.
func (p *propertyWorker) move(ctx context.Context) {
	v := p.w.virt
	m := inventory.Move{Reason: "property move"}
	for range 1 + p.rng.IntN(3) {
		variant, a := p.pick(p.w.variants), p.pick(p.w.physical)
		b := p.pick(p.w.physical)
		for b == a {
			b = p.pick(p.w.physical)
		}
		var l inventory.MoveLine
		switch p.rng.IntN(9) {
		case 0: // between physical locations
			l = inventory.MoveLine{FromLocationID: a, ToLocationID: b, Quantity: 1 + p.rng.IntN(10)}
		case 1:
			l = inventory.MoveLine{FromLocationID: a, ToLocationID: a, ToState: models.StateDamaged, Quantity: 1 + p.rng.IntN(3)}
		case 2:
			l = inventory.MoveLine{FromLocationID: a, ToLocationID: a, ToState: models.StateQualityControl, Quantity: 1 + p.rng.IntN(3)}
		case 3:
			l = inventory.MoveLine{FromLocationID: a, FromState: models.StateQualityControl, ToLocationID: a, Quantity: 1 + p.rng.IntN(2)}
		case 4:
			l = inventory.MoveLine{FromLocationID: a, FromState: models.StateDamaged, ToLocationID: v.bin, Quantity: 1 + p.rng.IntN(2)}
		case 5:
			at := time.Now().UTC().Truncate(time.Microsecond).Add(time.Duration(1+p.rng.IntN(30)) * 24 * time.Hour)
			l = inventory.MoveLine{FromLocationID: v.supplier, ToLocationID: a, ToState: models.StateIncoming, Quantity: 1 + p.rng.IntN(10), ExpectedAt: &at}
		case 6:
			l = inventory.MoveLine{FromLocationID: a, FromState: models.StateIncoming, ToLocationID: a, Quantity: 1 + p.rng.IntN(5)}
		case 7:
			l = inventory.MoveLine{FromLocationID: a, ToLocationID: v.sold, Quantity: 1 + p.rng.IntN(4)}
		default:
			l = inventory.MoveLine{FromLocationID: v.supplier, ToLocationID: a, Quantity: 1 + p.rng.IntN(10)}
		}
		l.Variant = ref(variant)
		m.Lines = append(m.Lines, l)
	}
	// The model's view of the lines, before MoveStock can touch them.
	want := map[int64]qlevels{}
	for _, l := range m.Lines {
		from, to := l.FromState, l.ToState
		if from == "" {
			from = models.StateOnHand
		}
		if to == "" {
			to = models.StateOnHand
		}
		if id, ok := p.w.itemID[[2]int64{l.Variant.VariantID, l.FromLocationID}]; ok {
			d := want[id]
			d.add(from, -l.Quantity)
			want[id] = d
		}
		if id, ok := p.w.itemID[[2]int64{l.Variant.VariantID, l.ToLocationID}]; ok {
			d := want[id]
			d.add(to, l.Quantity)
			want[id] = d
		}
	}
	what := fmt.Sprintf("MoveStock(%d lines)", len(m.Lines))
	res, err := inventory.MoveStock(ctx, p.w.f.db, p.w.f.actor, m)
	if err != nil {
		p.failed(what, err, apperr.NegativeStock)
		return
	}
	p.ok++
	if len(res.Movements) != len(m.Lines) {
		p.problem("%s wrote %d movements, want %d", what, len(res.Movements), len(m.Lines))
	}
	got := map[int64]bool{}
	for _, it := range res.Items {
		got[it.ID] = true
		d, ok := want[it.ID]
		if !ok || d == (qlevels{}) {
			p.problem("%s returned item %d, which it should not change", what, it.ID)
			continue
		}
		p.observe(it, true, effect{add: d}, what)
	}
	for id, d := range want {
		if d != (qlevels{}) && !got[id] {
			p.problem("%s did not return item %d, which it changed by %+v", what, id, d)
		}
	}
}

func (p *propertyWorker) observe(it models.InventoryItem, changed bool, e effect, what string) {
	p.obs = append(p.obs, observation{itemID: it.ID, revision: it.Revision, levels: qlevelsOf(it), changed: changed, eff: e, what: what})
	p.lastRev[it.ID] = it.Revision
}

// TestLedgerEqualsLevelsUnderRandomWorkload runs random adjustments and
// moves from 8 goroutines at once, then checks: the ledger adds up to every
// level; no level is out of bounds; every item's history, ordered by the
// revisions the operations returned, replays from its opening levels to its
// levels now, each step matching what that operation returned; and the
// balances the movements record are the ledger's running sums.
func TestLedgerEqualsLevelsUnderRandomWorkload(t *testing.T) {
	const workers, opsPerWorker = 8, 40
	f := newFixture(t, 4, 3)
	f.configure(t, inventory.ConfigurationPatch{BackordersEnabled: ptr(true)})
	ctx := context.Background()
	w := &propertyWorld{f: f, variants: f.variants, physical: f.physical, virt: f.virtual(t), itemID: map[[2]int64]int64{}}
	opening := f.items(t)
	if len(opening) != len(f.variants)*len(f.physical) {
		t.Fatalf("seeded items = %d, want %d", len(opening), len(f.variants)*len(f.physical))
	}
	for _, it := range opening {
		w.itemID[[2]int64{it.VariantID, it.LocationID}] = it.ID
	}

	runners := make([]*propertyWorker, workers)
	var wg sync.WaitGroup
	for g := range workers {
		p := &propertyWorker{w: w, rng: rand.New(rand.NewPCG(20240611, uint64(g))), lastRev: map[int64]int64{}, failures: map[apperr.Code]int{}}
		runners[g] = p
		wg.Go(func() { p.run(ctx, opsPerWorker) })
	}
	wg.Wait()

	okOps, failures := 0, map[apperr.Code]int{}
	var obs []observation
	for _, p := range runners {
		for _, msg := range p.problems {
			t.Error(msg)
		}
		okOps += p.ok
		for c, n := range p.failures {
			failures[c] += n
		}
		obs = append(obs, p.obs...)
	}
	t.Logf("%d operations succeeded; failures by code: %v", okOps, failures)
	if okOps < workers*opsPerWorker/4 {
		t.Errorf("successful operations = %d, want at least %d: the workload tests little", okOps, workers*opsPerWorker/4)
	}
	if failures[apperr.NegativeStock] == 0 {
		t.Errorf("failures[NEGATIVE_STOCK] = 0, want some: the oversells must fail")
	}

	f.mustBeConsistent(t)
	now := f.items(t)
	checkBounds(t, opening, now)
	replayModel(t, opening, now, obs)
	checkRecordedBalances(t, f)
	checkLevelsAsOf(t, f, w)
}

// checkBounds: on hand within 0..99,999 (negative stock is off), the other
// states within 0..99,999, backorders within their limit, and an expected
// date exactly while units are incoming.
func checkBounds(t *testing.T, opening, now map[int64]models.InventoryItem) {
	t.Helper()
	for id, it := range now {
		for _, q := range []struct {
			name string
			n    int
		}{{"onHand", it.OnHand}, {"qtyBackordered", it.QtyBackordered}, {"damaged", it.Damaged}, {"qualityControl", it.QualityControl}, {"incoming", it.Incoming}} {
			if q.n < 0 || q.n > inventory.MaxLevel {
				t.Errorf("item %d %s = %d, want 0 to %d", id, q.name, q.n, inventory.MaxLevel)
			}
		}
		if limit := max(it.BackorderLimit, opening[id].QtyBackordered); it.QtyBackordered > limit {
			t.Errorf("item %d qtyBackordered = %d, want at most its limit %d", id, it.QtyBackordered, limit)
		}
		if (it.Incoming > 0) != (it.NextIncomingAt != nil) {
			t.Errorf("item %d incoming = %d with nextIncomingAt = %v, want a date exactly while units are incoming", id, it.Incoming, it.NextIncomingAt)
		}
	}
}

// replayModel orders each item's successful changes by the revision they
// returned and replays them from the opening levels.
func replayModel(t *testing.T, opening, now map[int64]models.InventoryItem, obs []observation) {
	t.Helper()
	byItem := map[int64][]observation{}
	for _, o := range obs {
		byItem[o.itemID] = append(byItem[o.itemID], o)
	}
	for id, start := range opening {
		list := byItem[id]
		slices.SortStableFunc(list, func(a, b observation) int { return int(a.revision - b.revision) })
		atRevision := map[int64]qlevels{start.Revision: qlevelsOf(start)}
		model, rev := qlevelsOf(start), start.Revision
		for _, o := range list {
			if !o.changed {
				continue
			}
			if o.revision != rev+1 {
				t.Errorf("item %d: a change by %s returned revision %d, want %d (changes lost or doubled)", id, o.what, o.revision, rev+1)
			}
			model, rev = o.eff.apply(model), o.revision
			atRevision[rev] = model
			if o.levels != model {
				t.Errorf("item %d at revision %d: %s returned %+v, want %+v", id, rev, o.what, o.levels, model)
			}
		}
		for _, o := range list {
			if want, ok := atRevision[o.revision]; !o.changed && (!ok || o.levels != want) {
				t.Errorf("item %d: unchanged by %s at revision %d = %+v, want %+v", id, o.what, o.revision, o.levels, want)
			}
		}
		got := now[id]
		if got.Revision != rev || qlevelsOf(got) != model {
			t.Errorf("item %d now = %+v at revision %d, want %+v at revision %d (the successful operations' effects)", id, qlevelsOf(got), got.Revision, model, rev)
		}
	}
}

// checkRecordedBalances: each movement's balance at a physical end is the
// ledger's running sum of that variant, location and state.
func checkRecordedBalances(t *testing.T, f fixture) {
	t.Helper()
	var bad []struct {
		ID, VariantID, Loc int64
		State              string
		Bal                *int
		Running            int
	}
	err := f.db.Raw(`
		WITH ends AS (
			SELECT id, variant_id, to_location_id AS loc, to_state AS state, quantity AS q, to_balance AS bal
			FROM inventory_movements WHERE store_id = @store
			UNION ALL
			SELECT id, variant_id, from_location_id, from_state, -quantity, from_balance
			FROM inventory_movements WHERE store_id = @store
		), runs AS (
			SELECT e.*, sum(e.q) OVER (PARTITION BY e.variant_id, e.loc, e.state ORDER BY e.id) AS running
			FROM ends e JOIN locations l ON l.store_id = @store AND l.id = e.loc AND l.type IN ('STORE', 'WAREHOUSE')
		)
		SELECT id, variant_id, loc, state::text AS state, bal, running FROM runs
		WHERE bal IS DISTINCT FROM running ORDER BY id LIMIT 10`, map[string]any{"store": f.actor.Store.ID}).Scan(&bad).Error
	if err != nil {
		t.Fatalf("check recorded balances: %v", err)
	}
	for _, b := range bad {
		bal := "none"
		if b.Bal != nil {
			bal = fmt.Sprint(*b.Bal)
		}
		t.Errorf("movement %d (variant %d, location %d, %s) balance = %s, want the running sum %d", b.ID, b.VariantID, b.Loc, b.State, bal, b.Running)
	}
}

// checkLevelsAsOf takes the levels at a moment t between two sequential
// phases and checks the ledger gives them back as of t.
func checkLevelsAsOf(t *testing.T, f fixture, w *propertyWorld) {
	t.Helper()
	ctx := context.Background()
	before := f.items(t)
	var at time.Time
	if err := f.db.Raw(`SELECT clock_timestamp()`).Scan(&at).Error; err != nil {
		t.Fatal(err)
	}
	// Phase two: a change of every kind to every variant.
	for _, v := range w.variants {
		a, b := w.physical[0], w.physical[1]
		if _, err := inventory.Adjust(ctx, f.db, f.actor, inventory.Adjustment{Mode: inventory.Absolute, Reason: "after",
			Lines: []inventory.AdjustLine{{LocationID: a, Variant: ref(v), Quantity: ptr(50), QtyBackordered: ptr(0)}}}); err != nil {
			t.Fatalf("phase two Adjust error = %v", err)
		}
		if _, err := inventory.MoveStock(ctx, f.db, f.actor, inventory.Move{Reason: "after", Lines: []inventory.MoveLine{
			{Variant: ref(v), FromLocationID: a, ToLocationID: b, Quantity: 3},
			{Variant: ref(v), FromLocationID: a, ToLocationID: a, ToState: models.StateDamaged, Quantity: 1},
			{Variant: ref(v), FromLocationID: w.virt.supplier, ToLocationID: b, ToState: models.StateIncoming, Quantity: 2},
		}}); err != nil {
			t.Fatalf("phase two MoveStock error = %v", err)
		}
	}
	levels, err := ledger.LevelsAsOf(ctx, f.db, f.actor.Store.ID, w.variants, &at)
	if err != nil {
		t.Fatalf("LevelsAsOf error = %v", err)
	}
	then := map[[2]int64]qlevels{}
	for _, l := range levels {
		k := [2]int64{l.VariantID, l.LocationID}
		q := then[k]
		q.add(l.State, l.Quantity)
		then[k] = q
	}
	for _, it := range before {
		if got, want := then[[2]int64{it.VariantID, it.LocationID}], qlevelsOf(it); got != want {
			t.Errorf("LevelsAsOf(t) of variant %d at location %d = %+v, want %+v as read at t", it.VariantID, it.LocationID, got, want)
		}
	}
	// And ItemsAsOf, which the API's asOf arguments use.
	asOf, err := inventory.ItemsAsOf(ctx, f.db, f.actor.Store.ID, w.variants, at)
	if err != nil {
		t.Fatalf("ItemsAsOf error = %v", err)
	}
	for _, items := range asOf {
		for _, it := range items {
			if got, want := qlevelsOf(it), qlevelsOf(before[it.ID]); got != want {
				t.Errorf("ItemsAsOf(t) item %d = %+v, want %+v", it.ID, got, want)
			}
		}
	}
	f.mustBeConsistent(t)
}
