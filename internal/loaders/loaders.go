// Package loaders batches the API's reads: one set of dataloaders per
// request, one loader per relation, each named <Target>By<Key>. Resolvers
// call Load and never query the database themselves, so a query over many
// products costs a constant number of statements.
package loaders

import (
	"context"
	"encoding/json"
	"sync"
	"sync/atomic"
	"time"

	"github.com/graph-gophers/dataloader/v7"
	"gorm.io/gorm"

	"stockgraph/internal/apperr"
	"stockgraph/internal/auth"
	"stockgraph/internal/catalog"
	"stockgraph/internal/events"
	"stockgraph/internal/inventory"
	"stockgraph/internal/ledger"
	"stockgraph/internal/orders"
	"stockgraph/internal/page"
	"stockgraph/internal/sourcing"
	"stockgraph/models"
)

// DefaultWait is how long a loader collects keys before it queries. The
// library's 16 ms default is paid once per level of nesting; 1 ms is
// enough for the goroutines of one level to enqueue their keys.
const DefaultWait = time.Millisecond

// PageKey names one page of a parent's children. Every field but ParentID
// is the same for all the parents of one list, so a batch of keys becomes
// one statement.
type PageKey struct {
	ParentID  int64
	Limit     int
	Backward  bool
	CursorID  int64 // 0 for the first page
	FilterKey string
}

// Loaders are the per-request loaders.
type Loaders struct {
	ProductByID          *dataloader.Loader[int64, models.Product]
	VariantByID          *dataloader.Loader[int64, models.Variant]
	InventoryItemByID    *dataloader.Loader[int64, models.InventoryItem]
	VariantPageByProduct *dataloader.Loader[PageKey, page.Page[models.Variant]]
	ItemPageByLocation   *dataloader.Loader[PageKey, page.Page[models.InventoryItem]]
	ItemsByVariant       *dataloader.Loader[int64, []models.InventoryItem]
	ItemsByProduct       *dataloader.Loader[int64, []models.InventoryItem]
	// ItemsByVariantAsOf and ItemsByProductAsOf hold quantities read from
	// the ledger as of a time.
	ItemsByVariantAsOf *dataloader.Loader[TimedKey, []models.InventoryItem]
	ItemsByProductAsOf *dataloader.Loader[TimedKey, []models.InventoryItem]
	MovementPageByItem *dataloader.Loader[PageKey, page.Page[models.Movement]]
	MovementByID       *dataloader.Loader[int64, models.Movement]
	StockEventByID     *dataloader.Loader[int64, models.StockEvent]
	TokenNameByID      *dataloader.Loader[int64, string]
	InventoryModelByID *dataloader.Loader[int64, models.InventoryModel]
	OrderByID          *dataloader.Loader[int64, models.Order]
	OrderByReservation *dataloader.Loader[int64, []models.Order]
	ReservationByID    *dataloader.Loader[int64, models.Reservation]
	LinesByOrder       *dataloader.Loader[int64, []models.OrderLine]
	LinesByReservation *dataloader.Loader[int64, []models.OrderLine]
	AllocationsByLine  *dataloader.Loader[int64, []models.Allocation]

	// locations are loaded whole, once per operation until a write
	// forgets them: a store has few, and every aggregate needs to know
	// which of them are enabled and physical.
	locations struct {
		sync.Mutex
		rows   []models.Location
		byID   map[int64]*models.Location
		loaded bool
	}
	// store is the caller's store as a mutation field of this operation
	// last wrote it (its switches), else as the operation first read it;
	// nil until either. storeRead makes concurrent fields read it once.
	store     atomic.Pointer[models.Store]
	storeRead sync.Mutex
	db        *gorm.DB
	storeID   int64
	// itemFilters holds the decoded filter behind each PageKey.FilterKey.
	itemFilters sync.Map
}

// New builds the loaders for one request of one store.
func New(db *gorm.DB, storeID int64, wait time.Duration) *Loaders {
	l := &Loaders{db: db, storeID: storeID}
	l.ProductByID = newLoader(wait, byIDs(func(ctx context.Context, ids []int64) (map[int64]models.Product, error) {
		return catalog.ProductsByIDs(ctx, db, storeID, ids)
	}, "product"))
	l.VariantByID = newLoader(wait, byIDs(func(ctx context.Context, ids []int64) (map[int64]models.Variant, error) {
		return catalog.VariantsByIDs(ctx, db, storeID, ids)
	}, "variant"))
	l.InventoryItemByID = newLoader(wait, byIDs(func(ctx context.Context, ids []int64) (map[int64]models.InventoryItem, error) {
		return inventory.ItemsByIDs(ctx, db, storeID, ids)
	}, "inventory item"))
	l.ItemsByVariant = newLoader(wait, listsByIDs(func(ctx context.Context, ids []int64) (map[int64][]models.InventoryItem, error) {
		return inventory.ItemsByVariants(ctx, db, storeID, ids)
	}))
	l.ItemsByProduct = newLoader(wait, listsByIDs(func(ctx context.Context, ids []int64) (map[int64][]models.InventoryItem, error) {
		return inventory.ItemsByProducts(ctx, db, storeID, ids)
	}))
	l.VariantPageByProduct = newLoader(wait, pages(func(ctx context.Context, parents []int64, w page.Window, _ string) (map[int64]page.Page[models.Variant], error) {
		return catalog.VariantPages(ctx, db, storeID, parents, w)
	}))
	l.ItemPageByLocation = newLoader(wait, pages(func(ctx context.Context, parents []int64, w page.Window, filterKey string) (map[int64]page.Page[models.InventoryItem], error) {
		f, _ := l.itemFilters.Load(filterKey)
		filter, _ := f.(inventory.ItemFilter)
		return inventory.ItemPagesByLocations(ctx, db, storeID, parents, filter, w)
	}))
	l.ItemsByVariantAsOf = newLoader(wait, timed(func(ctx context.Context, ids []int64, at time.Time) (map[int64][]models.InventoryItem, error) {
		return inventory.ItemsAsOf(ctx, db, storeID, ids, at)
	}))
	l.ItemsByProductAsOf = newLoader(wait, timed(func(ctx context.Context, ids []int64, at time.Time) (map[int64][]models.InventoryItem, error) {
		return inventory.ProductItemsAsOf(ctx, db, storeID, ids, at)
	}))
	l.MovementPageByItem = newLoader(wait, pages(func(ctx context.Context, parents []int64, w page.Window, _ string) (map[int64]page.Page[models.Movement], error) {
		return ledger.PagesByItems(ctx, db, storeID, parents, w)
	}))
	l.MovementByID = newLoader(wait, byIDs(func(ctx context.Context, ids []int64) (map[int64]models.Movement, error) {
		return ledger.ByIDs(ctx, db, storeID, ids)
	}, "inventory movement"))
	l.StockEventByID = newLoader(wait, byIDs(func(ctx context.Context, ids []int64) (map[int64]models.StockEvent, error) {
		return events.ByIDs(ctx, db, storeID, ids)
	}, "stock event"))
	l.TokenNameByID = newLoader(wait, byIDs(func(ctx context.Context, ids []int64) (map[int64]string, error) {
		return auth.TokenNames(ctx, db, storeID, ids)
	}, "API token"))
	l.InventoryModelByID = newLoader(wait, byIDs(func(ctx context.Context, ids []int64) (map[int64]models.InventoryModel, error) {
		return sourcing.InventoryModelsByIDs(ctx, db, storeID, ids)
	}, "inventory model"))
	l.newOrderLoaders(wait)
	return l
}

// newOrderLoaders builds the loaders of orders, reservations, their lines
// and allocations.
func (l *Loaders) newOrderLoaders(wait time.Duration) {
	db, storeID := l.db, l.storeID
	l.OrderByID = newLoader(wait, byIDs(func(ctx context.Context, ids []int64) (map[int64]models.Order, error) {
		return orders.OrdersByIDs(ctx, db, storeID, ids)
	}, "order"))
	// A reservation became one order at most: a list of zero or one.
	l.OrderByReservation = newLoader(wait, listsByIDs(func(ctx context.Context, ids []int64) (map[int64][]models.Order, error) {
		got, err := orders.OrdersByReservations(ctx, db, storeID, ids)
		out := make(map[int64][]models.Order, len(got))
		for id, o := range got {
			out[id] = []models.Order{o}
		}
		return out, err
	}))
	l.ReservationByID = newLoader(wait, byIDs(func(ctx context.Context, ids []int64) (map[int64]models.Reservation, error) {
		return orders.ReservationsByIDs(ctx, db, storeID, ids)
	}, "reservation"))
	l.LinesByOrder = newLoader(wait, listsByIDs(func(ctx context.Context, ids []int64) (map[int64][]models.OrderLine, error) {
		return orders.LinesByOrders(ctx, db, storeID, ids)
	}))
	l.LinesByReservation = newLoader(wait, listsByIDs(func(ctx context.Context, ids []int64) (map[int64][]models.OrderLine, error) {
		return orders.LinesByReservations(ctx, db, storeID, ids)
	}))
	l.AllocationsByLine = newLoader(wait, listsByIDs(func(ctx context.Context, ids []int64) (map[int64][]models.Allocation, error) {
		return orders.AllocationsByLines(ctx, db, storeID, ids)
	}))
}

// Locations returns all of the store's locations, highest priority first.
// The first caller loads them with its context while the others wait; a
// failed load (a cancelled context) is not kept, so the next caller tries
// again with its own.
func (l *Loaders) Locations(ctx context.Context) ([]models.Location, error) {
	rows, _, err := l.loadLocations(ctx)
	return rows, err
}

// locationsByID returns the store's locations by ID.
func (l *Loaders) locationsByID(ctx context.Context) (map[int64]*models.Location, error) {
	_, byID, err := l.loadLocations(ctx)
	return byID, err
}

// loadLocations returns the rows and their index together, under one
// lock, so that a ClearAll between two reads cannot split them.
func (l *Loaders) loadLocations(ctx context.Context) ([]models.Location, map[int64]*models.Location, error) {
	l.locations.Lock()
	defer l.locations.Unlock()
	if l.locations.loaded {
		return l.locations.rows, l.locations.byID, nil
	}
	rows, err := catalog.Locations(ctx, l.db, l.storeID)
	if err != nil {
		return nil, nil, err
	}
	byID := make(map[int64]*models.Location, len(rows))
	for i := range rows {
		byID[rows[i].ID] = &rows[i]
	}
	l.locations.rows, l.locations.byID, l.locations.loaded = rows, byID, true
	return rows, byID, nil
}

// ClearAll forgets everything loaded so far. A mutation field calls it
// after it writes, so that its payload and the fields after it read what
// it wrote. Mutation fields run one after another, each payload resolved
// before the next field starts, so nothing is loading meanwhile.
func (l *Loaders) ClearAll() {
	l.ProductByID.ClearAll()
	l.VariantByID.ClearAll()
	l.InventoryItemByID.ClearAll()
	l.VariantPageByProduct.ClearAll()
	l.ItemPageByLocation.ClearAll()
	l.ItemsByVariant.ClearAll()
	l.ItemsByProduct.ClearAll()
	l.ItemsByVariantAsOf.ClearAll()
	l.ItemsByProductAsOf.ClearAll()
	l.MovementPageByItem.ClearAll()
	l.MovementByID.ClearAll()
	l.StockEventByID.ClearAll()
	l.TokenNameByID.ClearAll()
	l.InventoryModelByID.ClearAll()
	l.OrderByID.ClearAll()
	l.OrderByReservation.ClearAll()
	l.ReservationByID.ClearAll()
	l.LinesByOrder.ClearAll()
	l.LinesByReservation.ClearAll()
	l.AllocationsByLine.ClearAll()
	l.locations.Lock()
	l.locations.rows, l.locations.byID, l.locations.loaded = nil, nil, false
	l.locations.Unlock()
}

// SetStore records the store as a write of this operation left it, so
// that later fields use its switches rather than those read with the
// token when the operation began.
func (l *Loaders) SetStore(s models.Store) { l.store.Store(&s) }

// Store returns the caller's store as a mutation field of this operation
// last wrote it, else as the operation read it the first time a field
// needed it: never older than the operation.
func (l *Loaders) Store(ctx context.Context) (models.Store, error) {
	if s := l.store.Load(); s != nil {
		return *s, nil
	}
	l.storeRead.Lock()
	defer l.storeRead.Unlock()
	if s := l.store.Load(); s != nil {
		return *s, nil
	}
	s, err := catalog.StoreByID(ctx, l.db, l.storeID)
	if err != nil {
		return s, err
	}
	l.store.CompareAndSwap(nil, &s) // a write that stored meanwhile wins
	return *l.store.Load(), nil
}

// Holdings are what the views of a variant's or product's stock are
// computed from: its items and the store's locations.
type Holdings struct {
	Items     []models.InventoryItem
	Locations []models.Location
}

// VariantHoldings returns a variant's items, now or as of asOf, with the
// store's locations.
func (l *Loaders) VariantHoldings(ctx context.Context, variantID int64, asOf *time.Time) (Holdings, error) {
	if asOf == nil {
		return l.holdings(ctx, l.ItemsByVariant.Load(ctx, variantID))
	}
	return l.holdings(ctx, l.ItemsByVariantAsOf.Load(ctx, NewTimedKey(variantID, *asOf)))
}

// ProductHoldings returns the items of all of a product's variants, now
// or as of asOf, with the store's locations.
func (l *Loaders) ProductHoldings(ctx context.Context, productID int64, asOf *time.Time) (Holdings, error) {
	if asOf == nil {
		return l.holdings(ctx, l.ItemsByProduct.Load(ctx, productID))
	}
	return l.holdings(ctx, l.ItemsByProductAsOf.Load(ctx, NewTimedKey(productID, *asOf)))
}

func (l *Loaders) holdings(ctx context.Context, items dataloader.Thunk[[]models.InventoryItem]) (Holdings, error) {
	var h Holdings
	var err error
	if h.Items, err = items(); err != nil {
		return h, err
	}
	h.Locations, err = l.Locations(ctx)
	return h, err
}

// LocationByID returns one of the store's locations. Every caller of the
// operation gets the same one, shared: a dashboard's 2,500 inventory items
// at 5 locations point at 5 locations, and nobody may change them.
func (l *Loaders) LocationByID(ctx context.Context, id int64) (*models.Location, error) {
	byID, err := l.locationsByID(ctx)
	if err != nil {
		return nil, err
	}
	loc, ok := byID[id]
	if !ok {
		return nil, apperr.New(apperr.NotFound, "no location with ID %d", id)
	}
	return loc, nil
}

// ItemPageKey makes the key of a page of a location's items, remembering
// the filter so that the batch can use it.
func (l *Loaders) ItemPageKey(locationID int64, w page.Window, f inventory.ItemFilter) PageKey {
	// JSON tells a missing list (null) from an empty one ([]).
	encoded, _ := json.Marshal(f)
	filterKey := string(encoded)
	l.itemFilters.LoadOrStore(filterKey, f)
	return NewPageKey(locationID, w, filterKey)
}

// NewPageKey makes the key of a page of a parent's children.
func NewPageKey(parentID int64, w page.Window, filterKey string) PageKey {
	k := PageKey{ParentID: parentID, Limit: w.Limit, Backward: w.Backward, FilterKey: filterKey}
	if w.From != nil {
		k.CursorID = w.From.ID
	}
	return k
}

func newLoader[K comparable, V any](wait time.Duration, batch dataloader.BatchFunc[K, V]) *dataloader.Loader[K, V] {
	return dataloader.NewBatchedLoader(batch, dataloader.WithWait[K, V](wait))
}

// byIDs adapts a map-returning batch function: one result per key, in key
// order, NOT_FOUND for keys with no row.
func byIDs[V any](fetch func(context.Context, []int64) (map[int64]V, error), what string) dataloader.BatchFunc[int64, V] {
	return func(ctx context.Context, ids []int64) []*dataloader.Result[V] {
		rows, err := fetch(ctx, ids)
		results := make([]*dataloader.Result[V], len(ids))
		for i, id := range ids {
			switch row, ok := rows[id]; {
			case err != nil:
				results[i] = &dataloader.Result[V]{Error: err}
			case !ok:
				results[i] = &dataloader.Result[V]{Error: apperr.New(apperr.NotFound, "no %s with ID %d", what, id)}
			default:
				results[i] = &dataloader.Result[V]{Data: row}
			}
		}
		return results
	}
}

// listsByIDs adapts a batch function returning a list per key; a key with
// no rows gets an empty list.
func listsByIDs[V any](fetch func(context.Context, []int64) (map[int64][]V, error)) dataloader.BatchFunc[int64, []V] {
	return func(ctx context.Context, ids []int64) []*dataloader.Result[[]V] {
		rows, err := fetch(ctx, ids)
		results := make([]*dataloader.Result[[]V], len(ids))
		for i, id := range ids {
			results[i] = &dataloader.Result[[]V]{Data: rows[id], Error: err}
		}
		return results
	}
}

// pages adapts a batch function paging children of many parents: keys
// that share their window are fetched together.
func pages[V any](fetch func(context.Context, []int64, page.Window, string) (map[int64]page.Page[V], error)) dataloader.BatchFunc[PageKey, page.Page[V]] {
	return func(ctx context.Context, keys []PageKey) []*dataloader.Result[page.Page[V]] {
		groups := map[PageKey][]int64{}
		for _, k := range keys {
			shape := k
			shape.ParentID = 0
			groups[shape] = append(groups[shape], k.ParentID)
		}
		fetched := map[PageKey]page.Page[V]{}
		errs := map[PageKey]error{}
		for shape, parents := range groups {
			w := page.Window{Limit: shape.Limit, Backward: shape.Backward}
			if shape.CursorID != 0 {
				w.From = &page.Position{ID: shape.CursorID}
			}
			got, err := fetch(ctx, parents, w, shape.FilterKey)
			for _, p := range parents {
				k := shape
				k.ParentID = p
				fetched[k], errs[k] = got[p], err
			}
		}
		results := make([]*dataloader.Result[page.Page[V]], len(keys))
		for i, k := range keys {
			results[i] = &dataloader.Result[page.Page[V]]{Data: fetched[k], Error: errs[k]}
		}
		return results
	}
}

// TimedKey names a parent as of a moment.
type TimedKey struct {
	ID int64
	At int64 // Unix nanoseconds
}

// NewTimedKey makes the key of a parent as of at.
func NewTimedKey(id int64, at time.Time) TimedKey { return TimedKey{ID: id, At: at.UnixNano()} }

// timed adapts a batch function of one moment: keys of the same moment
// are fetched together.
func timed[V any](fetch func(context.Context, []int64, time.Time) (map[int64][]V, error)) dataloader.BatchFunc[TimedKey, []V] {
	return func(ctx context.Context, keys []TimedKey) []*dataloader.Result[[]V] {
		byMoment := map[int64][]int64{}
		for _, k := range keys {
			byMoment[k.At] = append(byMoment[k.At], k.ID)
		}
		got := map[TimedKey][]V{}
		errs := map[int64]error{}
		for at, ids := range byMoment {
			rows, err := fetch(ctx, ids, time.Unix(0, at).UTC())
			errs[at] = err
			for _, id := range ids {
				got[TimedKey{id, at}] = rows[id]
			}
		}
		results := make([]*dataloader.Result[[]V], len(keys))
		for i, k := range keys {
			results[i] = &dataloader.Result[[]V]{Data: got[k], Error: errs[k.At]}
		}
		return results
	}
}

type ctxKey struct{}

// With returns a context carrying l.
func With(ctx context.Context, l *Loaders) context.Context {
	return context.WithValue(ctx, ctxKey{}, l)
}

// For returns the request's loaders. Every request that resolves GraphQL
// has them; their absence is a wiring bug.
func For(ctx context.Context) *Loaders {
	l, ok := ctx.Value(ctxKey{}).(*Loaders)
	if !ok {
		panic("loaders: no loaders in the request context")
	}
	return l
}
