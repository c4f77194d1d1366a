package resolvers

import (
	"context"
	"slices"

	"github.com/99designs/gqlgen/graphql"

	"stockgraph/graph/model"
	"stockgraph/internal/api/relay"
	"stockgraph/internal/apperr"
	"stockgraph/internal/page"
	"stockgraph/internal/sourcing"
	"stockgraph/models"
)

// pagingArgs are a listing's two ways to page: Relay cursors, or a page
// number and size (Commerce Layer's page[number] and page[size]).
type pagingArgs struct {
	first, last    *int
	after, before  *string
	number, size   *int
	sortField      string
	sortDescending bool
}

// listing validates the paging arguments and says whether the client
// selected a count, which costs one more statement.
func listing(ctx context.Context, a pagingArgs) (sourcing.Listing, error) {
	l := sourcing.Listing{Sort: sourcing.SortField(a.sortField), Descending: a.sortDescending}
	fields := graphql.CollectAllFields(ctx)
	l.WithTotal = slices.Contains(fields, "totalCount") || slices.Contains(fields, "pageCount")
	if a.number == nil && a.size == nil {
		w, err := window(a.first, a.after, a.last, a.before)
		l.Window = w
		return l, err
	}
	if a.first != nil || a.after != nil || a.last != nil || a.before != nil {
		return l, apperr.New(apperr.BadUserInput, "page with either cursors (first, after, last, before) or page and pageSize, not both").WithField("page")
	}
	number, size := 1, page.DefaultSize
	if a.number != nil {
		number = *a.number
	}
	if a.size != nil {
		size = *a.size
	}
	if number < 1 {
		return l, apperr.New(apperr.BadUserInput, "page starts at 1, got %d", number).WithField("page")
	}
	if size < 1 || size > page.MaxSize {
		return l, apperr.New(apperr.BadUserInput, "pageSize must be between 1 and %d, got %d", page.MaxSize, size).WithField("pageSize")
	}
	l.Window = page.Window{Limit: size}
	l.Offset = (number - 1) * size
	return l, nil
}

// pageCount is how many pages of the window's size the total fills.
func pageCount(total int, w page.Window) int {
	return (total + w.Limit - 1) / w.Limit
}

func timeRange(r *model.DateTimeRange) sourcing.TimeRange {
	if r == nil {
		return sourcing.TimeRange{}
	}
	return sourcing.TimeRange{From: r.From, To: r.To}
}

// idsAt decodes a filter's list of IDs; nil stays nil (no condition).
func idsAt(field string, kind relay.Kind, gids []string) ([]int64, error) {
	if gids == nil {
		return nil, nil
	}
	ids, err := relay.ParseIDsOf(kind, gids)
	if e, ok := apperr.As(err); ok && e.Field == "" {
		return nil, e.WithField(field)
	}
	return ids, err
}

// sorted sets the sort a listing's sortBy argument names.
func (a *pagingArgs) sorted(field string, dir *model.SortDirection) {
	a.sortField, a.sortDescending = field, dir != nil && *dir == model.SortDirectionDesc
}

func modelQuery(ctx context.Context, filter *model.InventoryModelFilter, sort *model.InventoryModelSort, a pagingArgs) (sourcing.ModelQuery, error) {
	var q sourcing.ModelQuery
	a.sortField = string(model.InventoryModelSortFieldID)
	if sort != nil {
		a.sorted(string(sort.Field), sort.Direction)
	}
	l, err := listing(ctx, a)
	if err != nil || filter == nil {
		q.Listing = l
		return q, err
	}
	q = sourcing.ModelQuery{References: filter.References, IsDefault: filter.IsDefault,
		Created: timeRange(filter.CreatedAt), Updated: timeRange(filter.UpdatedAt), Listing: l}
	q.IDs, err = idsAt("filter.ids", relay.KindInventoryModel, filter.Ids)
	return q, err
}

func stockLevelQuery(ctx context.Context, filter *model.StockLevelFilter, sort *model.StockLevelSort, a pagingArgs) (sourcing.StockLevelQuery, error) {
	var q sourcing.StockLevelQuery
	a.sortField = string(model.StockLevelSortFieldID)
	if sort != nil {
		a.sorted(string(sort.Field), sort.Direction)
	}
	l, err := listing(ctx, a)
	if err != nil || filter == nil {
		q.Listing = l
		return q, err
	}
	q = sourcing.StockLevelQuery{OnHold: filter.OnHold, References: filter.References,
		Created: timeRange(filter.CreatedAt), Updated: timeRange(filter.UpdatedAt), Listing: l}
	if q.IDs, err = idsAt("filter.ids", relay.KindStockLevel, filter.Ids); err != nil {
		return q, err
	}
	if q.LocationIDs, err = idsAt("filter.locationIds", relay.KindLocation, filter.LocationIds); err != nil {
		return q, err
	}
	q.InventoryModelIDs, err = idsAt("filter.inventoryModelIds", relay.KindInventoryModel, filter.InventoryModelIds)
	return q, err
}

func stockLevelConnection(p page.Page[models.StockLevel], w page.Window) *model.StockLevelConnection {
	es, nodes := edges(p, func(c string, l *models.StockLevel) *model.StockLevelEdge {
		return &model.StockLevelEdge{Cursor: c, Node: l}
	})
	return &model.StockLevelConnection{Edges: es, Nodes: nodes, PageInfo: pageInfo(p), TotalCount: p.TotalCount, PageCount: pageCount(p.TotalCount, w)}
}

func inventoryModelConnection(p page.Page[models.InventoryModel], w page.Window) *model.InventoryModelConnection {
	es, nodes := edges(p, func(c string, m *models.InventoryModel) *model.InventoryModelEdge {
		return &model.InventoryModelEdge{Cursor: c, Node: m}
	})
	return &model.InventoryModelConnection{Edges: es, Nodes: nodes, PageInfo: pageInfo(p), TotalCount: p.TotalCount, PageCount: pageCount(p.TotalCount, w)}
}

// metadata is the patch's metadata: nil when the client left it out.
func metadata(m models.JSONObject) *models.JSONObject {
	if m == nil {
		return nil
	}
	return &m
}
