package resolvers

import (
	"context"

	"stockgraph/graph/model"
	"stockgraph/internal/api/relay"
	"stockgraph/internal/apperr"
	"stockgraph/internal/auth"
	"stockgraph/internal/catalog"
	"stockgraph/internal/inventory"
	"stockgraph/internal/loaders"
	"stockgraph/internal/page"
	"stockgraph/models"
)

// storeID is the caller's store. The @requireScope directive has made sure
// a principal is there before any resolver runs.
func storeID(ctx context.Context) int64 {
	return auth.FromContext(ctx).StoreID
}

// switches are the caller's store-wide backorder and preorder switches,
// as a mutation field of this operation left them, else as the operation
// read them (loaders.Store).
func switches(ctx context.Context) (inventory.Switches, error) {
	s, err := loaders.For(ctx).Store(ctx)
	return inventory.SwitchesOf(s), err
}

// wrote makes the rest of the operation read what a mutation field has
// just written: every mutation resolver calls it after its domain call,
// before its payload resolves. Clearing everything is cheap next to a
// write and cannot miss a relation the write touched.
func wrote(ctx context.Context) {
	loaders.For(ctx).ClearAll()
}

func window(first *int, after *string, last *int, before *string) (page.Window, error) {
	return relay.Args{First: first, After: after, Last: last, Before: before}.Validate()
}

func pageInfo[T any](p page.Page[T]) *model.PageInfo {
	info := &model.PageInfo{HasNextPage: p.HasNextPage, HasPreviousPage: p.HasPreviousPage}
	if n := len(p.Positions); n > 0 {
		start, end := relay.EncodeCursor(p.Positions[0]), relay.EncodeCursor(p.Positions[n-1])
		info.StartCursor, info.EndCursor = &start, &end
	}
	return info
}

// edges turns a page into a connection's edges and nodes.
func edges[T any, E any](p page.Page[T], edge func(cursor string, node *T) E) ([]E, []*T) {
	es := make([]E, len(p.Items))
	nodes := make([]*T, len(p.Items))
	for i := range p.Items {
		nodes[i] = &p.Items[i]
		es[i] = edge(relay.EncodeCursor(p.Positions[i]), nodes[i])
	}
	return es, nodes
}

// locationIDs decodes a list of location IDs; nil stays nil (all).
func locationIDs(ids []string) ([]int64, error) {
	if ids == nil {
		return nil, nil
	}
	return relay.ParseIDsOf(relay.KindLocation, ids)
}

func ptrs[T any](items []T) []*T {
	out := make([]*T, len(items))
	for i := range items {
		out[i] = &items[i]
	}
	return out
}

func deref[T any](p *T) T {
	var zero T
	if p == nil {
		return zero
	}
	return *p
}

func productQuery(filter *model.ProductFilter, sortBy *model.ProductSort) (catalog.ProductQuery, error) {
	q := catalog.ProductQuery{Sort: catalog.SortByID}
	if sortBy != nil {
		q.Sort = catalog.ProductSortField(sortBy.Field)
		q.Descending = sortBy.Direction != nil && *sortBy.Direction == model.SortDirectionDesc
	}
	if filter == nil {
		return q, nil
	}
	q.Search = deref(filter.Search)
	q.SKUs = filter.Skus
	if filter.Ids != nil {
		ids, err := relay.ParseIDsOf(relay.KindProduct, filter.Ids)
		if err != nil {
			return q, err
		}
		q.IDs = ids
	}
	return q, nil
}

func addressPatch(in *model.AddressInput) *catalog.AddressPatch {
	if in == nil {
		return nil
	}
	return &catalog.AddressPatch{
		Line1: in.Line1, Line2: in.Line2, City: in.City, Region: in.Region,
		PostalCode: in.PostalCode, CountryCode: in.CountryCode, Phone: in.Phone, Email: in.Email,
	}
}

// actor is the caller as the inventory domain sees it.
func actor(ctx context.Context) inventory.Actor {
	p := auth.FromContext(ctx)
	return inventory.Actor{Store: models.Store{ID: p.StoreID}, TokenID: p.TokenID}
}

// variantRef decodes the three ways an input names a variant.
func variantRef(list string, variantID, sku, productID *string) (inventory.VariantRef, error) {
	var ref inventory.VariantRef
	var err error
	if variantID != nil {
		if ref.VariantID, err = parseIDAt(list+".variantId", relay.KindVariant, *variantID); err != nil {
			return ref, err
		}
	}
	if productID != nil {
		if ref.ProductID, err = parseIDAt(list+".productId", relay.KindProduct, *productID); err != nil {
			return ref, err
		}
	}
	ref.SKU = deref(sku)
	return ref, nil
}

// parseIDAt decodes a global ID of an input field, naming the field's
// path in the error as the client sent it.
func parseIDAt(field string, kind relay.Kind, gid string) (int64, error) {
	id, err := relay.ParseIDOf(kind, gid)
	if e, ok := apperr.As(err); ok && e.Field == "" {
		return 0, e.WithField(field)
	}
	return id, err
}

// optionalIDAt is parseIDAt for an optional field: 0 when left out,
// which the domain reads as "the default" (the store's default location).
func optionalIDAt(field string, kind relay.Kind, gid *string) (int64, error) {
	if gid == nil {
		return 0, nil
	}
	return parseIDAt(field, kind, *gid)
}

// parseIDsAt decodes a list field of global IDs, naming the field and the
// position of a bad one.
func parseIDsAt(field string, kind relay.Kind, gids []string) ([]int64, error) {
	ids := make([]int64, len(gids))
	for i, gid := range gids {
		id, err := parseIDAt(field, kind, gid)
		if err != nil {
			return nil, withIndex(err, i)
		}
		ids[i] = id
	}
	return ids, nil
}

// withIndex marks an input error with the position of the item it is in.
func withIndex(err error, i int) error {
	if e, ok := apperr.As(err); ok {
		return e.WithIndex(i)
	}
	return err
}

func movementConnection(page page.Page[models.Movement]) *model.InventoryMovementConnection {
	es, nodes := edges(page, func(c string, m *models.Movement) *model.InventoryMovementEdge {
		return &model.InventoryMovementEdge{Cursor: c, Node: m}
	})
	return &model.InventoryMovementConnection{Edges: es, Nodes: nodes, PageInfo: pageInfo(page)}
}

// settingsLine turns settings input into the domain's line.
func settingsLine(ref inventory.VariantRef, in *model.InventorySettingsInput, expectedRevision *int) inventory.SettingsLine {
	l := inventory.SettingsLine{Variant: ref, ExpectedRevision: int64p(expectedRevision)}
	if in == nil {
		return l
	}
	l.SafetyStock, l.WarningLevel, l.BackorderLimit, l.BackorderThreshold = in.SafetyStock, in.WarningLevel, in.BackorderLimit, in.BackorderThreshold
	l.BinPickingNumber, l.IsInStock, l.TrackingMode, l.AvailabilityDate = in.BinPickingNumber, in.IsInStock, in.TrackingMode, in.AvailabilityDate
	if p := in.Preorder; p != nil {
		l.PreorderEnabled, l.PreorderLimit, l.PreorderThreshold, l.PreorderMessage = p.Enabled, p.Limit, p.Threshold, p.Message
	}
	return l
}

func int64p(p *int) *int64 {
	if p == nil {
		return nil
	}
	v := int64(*p)
	return &v
}

// variantByID loads one of the store's variants through the request's loader.
func variantByID(ctx context.Context, id int64) (*models.Variant, error) {
	v, err := loaders.For(ctx).VariantByID.Load(ctx, id)()
	return &v, err
}

// locationByID finds one of the store's locations among the request's.
func locationByID(ctx context.Context, id int64) (*models.Location, error) {
	return loaders.For(ctx).LocationByID(ctx, id)
}

// locationQuery turns the locations field's arguments into a query.
func locationQuery(filter *model.LocationFilter, sortBy *model.LocationSort, w page.Window) catalog.LocationQuery {
	q := catalog.LocationQuery{Window: w}
	if filter != nil {
		q.Types, q.Enabled = filter.Types, filter.Enabled
	}
	if sortBy != nil {
		q.Sort = sortBy.Field
		q.Descending = sortBy.Direction != nil && *sortBy.Direction == model.SortDirectionDesc
	}
	return q
}
