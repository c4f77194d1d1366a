package page

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
)

// item is a list element whose display order has nothing to do with its ID,
// as with locations sorted by priority.
type item struct {
	ID   int64
	Name string
}

func itemID(it item) int64 { return it.ID }

// modelPage is what the Relay specification's ApplyCursorsToEdges and
// EdgesToReturn give for a list in display order, with a cursor that is
// ignored when its item is not in the list (Paginate's documented choice).
type modelPage struct {
	IDs             []int64
	HasNextPage     bool
	HasPreviousPage bool
	TotalCount      int
}

func paginateModel(all []int64, w Window) modelPage {
	m := modelPage{TotalCount: len(all)}
	edges := slices.Clone(all)
	found := false
	if w.From != nil {
		if i := slices.Index(all, w.From.ID); i >= 0 {
			found = true
			if w.Backward {
				edges = all[:i] // remove the before edge and all after it
			} else {
				edges = all[i+1:] // remove the after edge and all before it
			}
		}
	}
	if w.Backward {
		m.IDs = edges[max(0, len(edges)-w.Limit):]
		m.HasPreviousPage = len(edges) > w.Limit
		// Edges follow the before cursor: at least the cursor's own item.
		m.HasNextPage = found
	} else {
		m.IDs = edges[:min(len(edges), w.Limit)]
		m.HasNextPage = len(edges) > w.Limit
		m.HasPreviousPage = found
	}
	return m
}

func pageIDs(p Page[item]) []int64 {
	ids := make([]int64, len(p.Items))
	for i, it := range p.Items {
		ids[i] = it.ID
	}
	return ids
}

// checkPage compares a page with the model and checks that its cursors
// decode to its items' IDs.
func checkPage(t *testing.T, what string, got Page[item], want modelPage) {
	t.Helper()
	if ids := pageIDs(got); !slices.Equal(ids, want.IDs) {
		t.Errorf("%s: item IDs = %v, want %v", what, ids, want.IDs)
	}
	if got.HasNextPage != want.HasNextPage || got.HasPreviousPage != want.HasPreviousPage {
		t.Errorf("%s: hasNextPage, hasPreviousPage = %v, %v, want %v, %v",
			what, got.HasNextPage, got.HasPreviousPage, want.HasNextPage, want.HasPreviousPage)
	}
	if got.TotalCount != want.TotalCount {
		t.Errorf("%s: totalCount = %d, want %d", what, got.TotalCount, want.TotalCount)
	}
	if len(got.Positions) != len(got.Items) {
		t.Fatalf("%s: %d positions for %d items, want one each", what, len(got.Positions), len(got.Items))
	}
	for i, pos := range got.Positions {
		if pos != (Position{ID: got.Items[i].ID}) {
			t.Errorf("%s: position %d = %+v, want {ID: %d}", what, i, pos, got.Items[i].ID)
		}
	}
}

// shuffledList returns n items with distinct, gapped IDs in a random order.
func shuffledList(r *rand.Rand, n int) []item {
	all := make([]item, n)
	for i := range all {
		all[i] = item{ID: int64(10 + 3*i), Name: fmt.Sprintf("item %d", i)}
	}
	r.Shuffle(len(all), func(i, j int) { all[i], all[j] = all[j], all[i] })
	return all
}

func idsOf(all []item) []int64 {
	ids := make([]int64, len(all))
	for i, it := range all {
		ids[i] = it.ID
	}
	return ids
}

func TestPaginateMatchesModel(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for _, n := range []int{0, 1, 3, 7, 12} {
		all := shuffledList(r, n)
		ids := idsOf(all)
		// Cursors at every position, plus IDs no item has: below, between
		// and above the items' IDs.
		cursors := []*Position{nil, {ID: 1}, {ID: 11}, {ID: 1 << 40}}
		for _, id := range ids {
			cursors = append(cursors, &Position{ID: id})
		}
		for _, limit := range []int{0, 1, 2, 5, 50} {
			for _, backward := range []bool{false, true} {
				for _, c := range cursors {
					w := Window{Limit: limit, Backward: backward, From: c}
					got := Slice(all, w, itemID)
					checkPage(t, fmt.Sprintf("Slice(%d items %v, %s)", n, ids, describe(w)), got, paginateModel(ids, w))
				}
			}
		}
		if !slices.Equal(idsOf(all), ids) {
			t.Errorf("Paginate changed its input: %v, want %v", idsOf(all), ids)
		}
	}
}

func TestPaginateRandomWindows(t *testing.T) {
	r := rand.New(rand.NewPCG(42, 7))
	for range 2000 {
		n := r.IntN(30)
		all := shuffledList(r, n)
		ids := idsOf(all)
		w := Window{Limit: r.IntN(35), Backward: r.IntN(2) == 0}
		switch k := r.IntN(4); {
		case k == 0:
			// no cursor
		case k == 1 || n == 0:
			w.From = &Position{ID: int64(r.IntN(200) + 1)} // most likely missing
		default:
			w.From = &Position{ID: ids[r.IntN(n)]}
		}
		got := Slice(all, w, itemID)
		checkPage(t, fmt.Sprintf("Slice(%v, %s)", ids, describe(w)), got, paginateModel(ids, w))
	}
}

// TestPaginateWalk follows endCursor forward and startCursor backward and
// must visit every item exactly once, in display order.
func TestPaginateWalk(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	for _, n := range []int{0, 1, 3, 7, 12} {
		all := shuffledList(r, n)
		want := idsOf(all)
		for _, limit := range []int{1, 2, 5, 50} {
			if got := walk(t, all, limit, false); !slices.Equal(got, want) {
				t.Errorf("walking %d items forward by %d = %v, want %v", n, limit, got, want)
			}
			if got := walk(t, all, limit, true); !slices.Equal(got, want) {
				t.Errorf("walking %d items backward by %d = %v, want %v", n, limit, got, want)
			}
		}
	}
}

func walk(t *testing.T, all []item, limit int, backward bool) []int64 {
	t.Helper()
	var seen []int64
	w := Window{Limit: limit, Backward: backward}
	for steps := 0; ; steps++ {
		if steps > len(all)+1 {
			t.Fatalf("walking %v by %d (backward %v) does not end", idsOf(all), limit, backward)
		}
		p := Slice(all, w, itemID)
		if backward {
			seen = append(pageIDs(p), seen...)
		} else {
			seen = append(seen, pageIDs(p)...)
		}
		more := p.HasNextPage
		if backward {
			more = p.HasPreviousPage
		}
		if !more {
			return seen
		}
		if len(p.Positions) == 0 {
			t.Fatalf("walking %v by %d (backward %v): a page says there are more but has no items", idsOf(all), limit, backward)
		}
		next := p.Positions[len(p.Positions)-1]
		if backward {
			next = p.Positions[0]
		}
		w.From = &next
	}
}

func describe(w Window) string {
	c := "nil"
	if w.From != nil {
		c = fmt.Sprint(w.From.ID)
	}
	return fmt.Sprintf("limit %d backward %v cursor %s", w.Limit, w.Backward, c)
}

// keysetModel is what the Relay specification gives for a list in
// display order (IDs ascending, or descending when desc) when the after
// (before) cursor splits it by value, as a keyset query does: a cursor
// whose item is gone still pages from where it stood. With a cursor the
// page has a previous (next) page, the approximation the specification
// allows when counting what lies behind is not cheap.
func keysetModel(display []int64, w Window, desc bool) modelPage {
	m := modelPage{TotalCount: len(display)}
	edges := display
	if c := w.From; c != nil {
		// Edges follow an after cursor, or precede a before cursor, in
		// display order.
		follows := !w.Backward
		edges = slices.DeleteFunc(slices.Clone(display), func(id int64) bool {
			after := (id > c.ID) != desc
			return id == c.ID || after != follows
		})
	}
	if w.Backward {
		m.IDs = edges[max(0, len(edges)-w.Limit):]
		m.HasPreviousPage, m.HasNextPage = len(edges) > w.Limit, w.From != nil
	} else {
		m.IDs = edges[:min(len(edges), w.Limit)]
		m.HasNextPage, m.HasPreviousPage = len(edges) > w.Limit, w.From != nil
	}
	return m
}

// keysetFetch does in memory what a keyset query does with the comparison
// and direction of Window.Order: WHERE id cmp cursor ORDER BY id dir
// LIMIT Limit+1.
func keysetFetch(all []item, w Window, desc bool) []item {
	cmp, dir := w.Order(desc)
	rows := slices.DeleteFunc(slices.Clone(all), func(it item) bool {
		return w.From != nil && ((cmp == ">" && it.ID <= w.From.ID) || (cmp == "<" && it.ID >= w.From.ID))
	})
	slices.SortFunc(rows, func(a, b item) int {
		if dir == "DESC" {
			return int(b.ID - a.ID)
		}
		return int(a.ID - b.ID)
	})
	return rows[:min(len(rows), w.Limit+1)]
}

// TestFromRowsMatchesModel checks the builder under keyset fetches in
// both sort directions and both window directions, with cursors on items
// and between them, against the specification's model of the same list.
func TestFromRowsMatchesModel(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	for range 3000 {
		all := shuffledList(r, r.IntN(25))
		desc := r.IntN(2) == 0
		display := idsOf(all)
		slices.Sort(display)
		if desc {
			slices.Reverse(display)
		}
		w := Window{Limit: r.IntN(30), Backward: r.IntN(2) == 0}
		if r.IntN(3) > 0 {
			w.From = &Position{ID: int64(r.IntN(90))} // on an item (10, 13, ...) or between
		}
		got := FromRows(keysetFetch(all, w, desc), w, ByID(itemID))
		got.TotalCount = len(all) // counted apart, by the caller
		checkPage(t, fmt.Sprintf("FromRows(%v desc %v, %s)", display, desc, describe(w)), got, keysetModel(display, w, desc))
	}
}

// TestBuildBackwardReversesOnce: a backward page comes out in display
// order with hasNext and hasPrevious swapped, whatever built it.
func TestBuildBackwardReversesOnce(t *testing.T) {
	rows := []item{{ID: 30}, {ID: 20}, {ID: 10}} // nearest the before cursor first
	got := Build(rows, Window{Limit: 3, Backward: true}, true, false, ByID(itemID))
	if ids := pageIDs(got); !slices.Equal(ids, []int64{10, 20, 30}) {
		t.Errorf("Build(backward) item IDs = %v, want [10 20 30]", ids)
	}
	if got.HasNextPage || !got.HasPreviousPage {
		t.Errorf("Build(backward, beyond, not behind) hasNext, hasPrevious = %v, %v, want false, true", got.HasNextPage, got.HasPreviousPage)
	}
}
