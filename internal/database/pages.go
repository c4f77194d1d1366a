package database

import (
	"context"
	"fmt"
	"slices"

	"gorm.io/gorm"

	"stockgraph/internal/page"
)

// ChildQuery asks for one page of children (rows of Table) for each of
// several parents, ordered by the children's id.
type ChildQuery struct {
	Table        string // the child table, such as "variants"
	ParentColumn string // its column naming the parent, such as "product_id"
	StoreID      int64
	ParentIDs    []int64
	// Where and Args add a condition on the child rows (alias t), such as
	// "t.sku IN ?"; empty for none.
	Where  string
	Args   []any
	Window page.Window
}

// childRow is a child with the window-function columns computed for it.
type childRow[T any] struct {
	Row        T     `gorm:"embedded"`
	PageParent int64 // the parent the row belongs to
	PageIn     bool  // whether the row lies past the cursor
	PageRank   int   // position among the rows on the same side of the cursor
	PageTotal  int   // children of the parent in all
	PageAfter  int   // children of the parent past the cursor
}

// ChildPages fetches a page of children for every parent in one statement,
// using window functions, so that a list of N parents with their first M
// children costs one query instead of N. Every parent gets a page, empty
// when it has no children. idOf returns a child's id, for its cursor.
func ChildPages[T any](ctx context.Context, db *gorm.DB, q ChildQuery, idOf func(T) int64) (map[int64]page.Page[T], error) {
	pages := make(map[int64]page.Page[T], len(q.ParentIDs))
	for _, id := range q.ParentIDs {
		pages[id] = page.Page[T]{}
	}
	if len(q.ParentIDs) == 0 {
		return pages, nil
	}
	cmp, order := q.Window.Order(false)
	past := "t.id " + cmp + " ?"
	var cursorArgs []any
	if q.Window.From == nil {
		past = "TRUE"
	} else {
		cursorArgs = []any{q.Window.From.ID}
	}
	extra := ""
	if q.Where != "" {
		extra = " AND (" + q.Where + ")"
	}
	// The inner query marks each child as past the cursor or not and ranks
	// it on its side; the outer one keeps the page plus one row per side,
	// which carries the counts even when the page is empty.
	sql := fmt.Sprintf(`
SELECT * FROM (
  SELECT t.*, t.%[2]s AS page_parent, (%[3]s) AS page_in,
    row_number() OVER (PARTITION BY t.%[2]s, (%[3]s) ORDER BY t.id %[4]s) AS page_rank,
    count(*) OVER (PARTITION BY t.%[2]s) AS page_total,
    count(*) FILTER (WHERE %[3]s) OVER (PARTITION BY t.%[2]s) AS page_after
  FROM %[1]s t
  WHERE t.store_id = ? AND t.%[2]s IN ?%[5]s
) s
WHERE (s.page_in AND s.page_rank <= ?) OR s.page_rank = 1
ORDER BY s.page_parent, s.page_in DESC, s.page_rank`, q.Table, q.ParentColumn, past, order, extra)
	args := slices.Concat(cursorArgs, cursorArgs, cursorArgs, []any{q.StoreID, q.ParentIDs}, q.Args, []any{q.Window.Limit})
	var rows []childRow[T]
	if err := db.WithContext(ctx).Raw(sql, args...).Scan(&rows).Error; err != nil {
		return nil, fmt.Errorf("page %s by %s: %w", q.Table, q.ParentColumn, err)
	}
	for parent, p := range pagesOf(rows, q.Window, idOf) {
		pages[parent] = p
	}
	return pages, nil
}

// pagesOf builds each parent's page from its rows, which come nearest
// the cursor first; each parent's first row carries its counts.
func pagesOf[T any](rows []childRow[T], w page.Window, idOf func(T) int64) map[int64]page.Page[T] {
	fetched := map[int64][]T{}
	counts := map[int64]childRow[T]{}
	for _, r := range rows {
		if _, ok := counts[r.PageParent]; !ok {
			counts[r.PageParent] = r
		}
		if r.PageIn && r.PageRank <= w.Limit {
			fetched[r.PageParent] = append(fetched[r.PageParent], r.Row)
		}
	}
	pages := make(map[int64]page.Page[T], len(counts))
	for parent, c := range counts {
		beyond := c.PageAfter > w.Limit
		behind := w.From != nil && c.PageAfter < c.PageTotal
		p := page.Build(fetched[parent], w, beyond, behind, page.ByID(idOf))
		p.TotalCount = c.PageTotal
		pages[parent] = p
	}
	return pages
}

// NewestFirst pages filtered rows by ID descending: IDs are issued in
// creation order, so the keyset needs no other column.
func NewestFirst[T any](filtered *gorm.DB, w page.Window, withTotal bool, idOf func(T) int64, what string) (page.Page[T], error) {
	var out page.Page[T]
	total := 0
	if withTotal {
		var n int64
		if err := filtered.Session(&gorm.Session{}).Count(&n).Error; err != nil {
			return out, fmt.Errorf("count %s: %w", what, err)
		}
		total = int(n)
	}
	cmp, dir := w.Order(true)
	sel := filtered.Session(&gorm.Session{})
	if w.From != nil {
		sel = sel.Where("id "+cmp+" ?", w.From.ID)
	}
	var rows []T
	if err := sel.Order("id " + dir).Limit(w.Limit + 1).Find(&rows).Error; err != nil {
		return out, fmt.Errorf("list %s: %w", what, err)
	}
	out = page.FromRows(rows, w, page.ByID(idOf))
	out.TotalCount = total
	return out, nil
}
