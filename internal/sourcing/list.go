package sourcing

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"gorm.io/gorm"

	"stockgraph/internal/apperr"
	"stockgraph/internal/database"
	"stockgraph/internal/page"
	"stockgraph/models"
)

// SortField is a column inventory models or stock levels sort by.
type SortField string

// The sort fields; each list says which it accepts.
const (
	SortByID        SortField = "ID"
	SortByName      SortField = "NAME"
	SortByPriority  SortField = "PRIORITY"
	SortByOnHold    SortField = "ON_HOLD"
	SortByReference SortField = "REFERENCE"
	SortByCreatedAt SortField = "CREATED_AT"
	SortByUpdatedAt SortField = "UPDATED_AT"
)

// sortKey is how a list sorts by one field: the column, the field's value
// as a position's key, and the key read back from a cursor. ID sorts need
// no key: the position's ID is the key.
type sortKey[T any] struct {
	column string
	key    func(T) string
	parse  func(string) (any, error)
}

func textKey(s string) (any, error) { return s, nil }

func timeKey(s string) (any, error) { return time.Parse(time.RFC3339Nano, s) }

func intKey(s string) (any, error) { return strconv.Atoi(s) }

func boolKey(s string) (any, error) { return strconv.ParseBool(s) }

func formatTime(t time.Time) string { return t.UTC().Format(time.RFC3339Nano) }

var modelSorts = map[SortField]sortKey[models.InventoryModel]{
	SortByID:        {},
	SortByName:      {"name", func(m models.InventoryModel) string { return m.Name }, textKey},
	SortByReference: {"reference", func(m models.InventoryModel) string { return m.Reference }, textKey},
	SortByCreatedAt: {"created_at", func(m models.InventoryModel) string { return formatTime(m.CreatedAt) }, timeKey},
	SortByUpdatedAt: {"updated_at", func(m models.InventoryModel) string { return formatTime(m.UpdatedAt) }, timeKey},
}

var levelSorts = map[SortField]sortKey[models.StockLevel]{
	SortByID:        {},
	SortByPriority:  {"priority", func(l models.StockLevel) string { return strconv.Itoa(l.Priority) }, intKey},
	SortByOnHold:    {"on_hold", func(l models.StockLevel) string { return strconv.FormatBool(l.OnHold) }, boolKey},
	SortByReference: {"reference", func(l models.StockLevel) string { return l.Reference }, textKey},
	SortByCreatedAt: {"created_at", func(l models.StockLevel) string { return formatTime(l.CreatedAt) }, timeKey},
	SortByUpdatedAt: {"updated_at", func(l models.StockLevel) string { return formatTime(l.UpdatedAt) }, timeKey},
}

// TimeRange keeps times at or after From and before To, each when set.
type TimeRange struct {
	From, To *time.Time
}

// Listing is what every list takes besides its filters: the sort, the
// window, and optionally an offset (page number and size, the other way
// to page) and the total count.
type Listing struct {
	Sort       SortField
	Descending bool
	Window     page.Window
	// Offset skips that many rows from the start instead of starting
	// from Window.From (which must then be nil).
	Offset int
	// WithTotal asks for the number of matching rows too (one more
	// statement), only when the client selected it.
	WithTotal bool
}

// ModelQuery selects a page of inventory models.
type ModelQuery struct {
	IDs        []int64
	References []string
	IsDefault  *bool
	Created    TimeRange
	Updated    TimeRange
	Listing
}

// StockLevelQuery selects a page of stock levels (Commerce Layer's filters).
type StockLevelQuery struct {
	IDs               []int64
	OnHold            *bool
	References        []string
	LocationIDs       []int64
	InventoryModelIDs []int64
	Created           TimeRange
	Updated           TimeRange
	Listing
}

// ListInventoryModels returns one page of the store's inventory models.
func ListInventoryModels(ctx context.Context, db *gorm.DB, storeID int64, q ModelQuery) (page.Page[models.InventoryModel], error) {
	sel := db.WithContext(ctx).Model(&models.InventoryModel{}).Where("store_id = ?", storeID)
	if q.IDs != nil {
		sel = sel.Where("id = ANY(?)", database.Int64s(q.IDs))
	}
	if q.References != nil {
		sel = sel.Where("reference = ANY(?)", models.StringArray(q.References))
	}
	if q.IsDefault != nil {
		sel = sel.Where("is_default = ?", *q.IsDefault)
	}
	sel = filterTimes(sel, q.Created, q.Updated)
	return list(sel, q.Listing, modelSorts, func(m models.InventoryModel) int64 { return m.ID }, "inventory models")
}

// ListStockLevels returns one page of the store's stock levels.
func ListStockLevels(ctx context.Context, db *gorm.DB, storeID int64, q StockLevelQuery) (page.Page[models.StockLevel], error) {
	sel := db.WithContext(ctx).Model(&models.StockLevel{}).Where("store_id = ?", storeID)
	if q.IDs != nil {
		sel = sel.Where("id = ANY(?)", database.Int64s(q.IDs))
	}
	if q.OnHold != nil {
		sel = sel.Where("on_hold = ?", *q.OnHold)
	}
	if q.References != nil {
		sel = sel.Where("reference = ANY(?)", models.StringArray(q.References))
	}
	if q.LocationIDs != nil {
		sel = sel.Where("location_id = ANY(?)", database.Int64s(q.LocationIDs))
	}
	if q.InventoryModelIDs != nil {
		sel = sel.Where("inventory_model_id = ANY(?)", database.Int64s(q.InventoryModelIDs))
	}
	sel = filterTimes(sel, q.Created, q.Updated)
	return list(sel, q.Listing, levelSorts, func(l models.StockLevel) int64 { return l.ID }, "stock levels")
}

func filterTimes(sel *gorm.DB, created, updated TimeRange) *gorm.DB {
	for _, r := range []struct {
		column string
		TimeRange
	}{{"created_at", created}, {"updated_at", updated}} {
		if r.From != nil {
			sel = sel.Where(r.column+" >= ?", *r.From)
		}
		if r.To != nil {
			sel = sel.Where(r.column+" < ?", *r.To)
		}
	}
	return sel
}

// list fetches one page of filtered rows by keyset on the sort column and
// then the ID, or by offset when the listing has one.
func list[T any](filtered *gorm.DB, l Listing, sorts map[SortField]sortKey[T], idOf func(T) int64, what string) (page.Page[T], error) {
	var out page.Page[T]
	sk, ok := sorts[l.Sort]
	if !ok {
		return out, apperr.New(apperr.BadUserInput, "cannot sort %s by %s", what, l.Sort).WithField("sort.field")
	}
	total := 0
	if l.WithTotal {
		var n int64
		if err := filtered.Session(&gorm.Session{}).Count(&n).Error; err != nil {
			return out, fmt.Errorf("count %s: %w", what, err)
		}
		total = int(n)
	}
	cmp, dir := l.Window.Order(l.Descending)
	sel := filtered.Session(&gorm.Session{})
	if c := l.Window.From; c != nil {
		if sk.column == "" {
			sel = sel.Where("id "+cmp+" ?", c.ID)
		} else {
			key, err := sk.parse(c.Key)
			if err != nil {
				return out, apperr.New(apperr.BadUserInput, "the cursor does not fit sorting by %s", l.Sort).WithField("after")
			}
			sel = sel.Where(fmt.Sprintf("(%s, id) %s (?, ?)", sk.column, cmp), key, c.ID)
		}
	}
	if sk.column != "" {
		sel = sel.Order(sk.column + " " + dir)
	}
	var rows []T
	if err := sel.Order("id " + dir).Offset(l.Offset).Limit(l.Window.Limit + 1).Find(&rows).Error; err != nil {
		return out, fmt.Errorf("list %s: %w", what, err)
	}
	out = page.FromRows(rows, l.Window, func(row T) page.Position {
		p := page.Position{ID: idOf(row)}
		if sk.key != nil {
			p.Key = sk.key(row)
		}
		return p
	})
	if l.Offset > 0 {
		out.HasPreviousPage = true
	}
	out.TotalCount = total
	return out, nil
}
