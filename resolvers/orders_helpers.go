package resolvers

import (
	"context"
	"errors"
	"slices"
	"time"

	"github.com/99designs/gqlgen/graphql"

	"stockgraph/graph/model"
	"stockgraph/internal/api/relay"
	"stockgraph/internal/apperr"
	"stockgraph/internal/loaders"
	"stockgraph/internal/orders"
	"stockgraph/internal/page"
	"stockgraph/models"
)

// lineErrors turns the domain's one error per failing line (an
// apperr.List, such as OUT_OF_STOCK) into one GraphQL error per line,
// each with its own extensions.field: all but the last are added to the
// response here, the last is returned as the field's error.
func lineErrors(ctx context.Context, err error) error {
	var list apperr.List
	if !errors.As(err, &list) || len(list) == 0 {
		return err
	}
	for _, e := range list[:len(list)-1] {
		graphql.AddError(ctx, e)
	}
	return list[len(list)-1]
}

// orTrue is an allow switch of an order input: true unless set to false.
func orTrue(p *bool) bool { return p == nil || *p }

// lineInputs decodes an order's or reservation's lines.
func lineInputs(lines []*model.OrderLineInput) ([]orders.LineInput, error) {
	out := make([]orders.LineInput, len(lines))
	for i, l := range lines {
		ref, err := variantRef("lines", l.VariantID, l.Sku, nil)
		if err != nil {
			return nil, withIndex(err, i)
		}
		out[i] = orders.LineInput{Variant: ref, Quantity: l.Quantity}
	}
	return out, nil
}

// lineQuantities decodes the lines an updateOrder or fulfillOrder names.
func lineQuantities(lines []*model.OrderLineQuantityInput) ([]orders.LineQuantity, error) {
	if lines == nil {
		return nil, nil
	}
	out := make([]orders.LineQuantity, len(lines))
	for i, l := range lines {
		id, err := parseIDAt("lines.lineId", relay.KindOrderLine, l.LineID)
		if err != nil {
			return nil, withIndex(err, i)
		}
		out[i] = orders.LineQuantity{LineID: id, Quantity: l.Quantity}
	}
	return out, nil
}

// optionalID decodes an optional global ID input; nil is 0.
func optionalID(field string, kind relay.Kind, gid *string) (int64, error) {
	if gid == nil {
		return 0, nil
	}
	return parseIDAt(field, kind, *gid)
}

func newOrder(input model.CreateOrderInput) (orders.NewOrder, error) {
	in := orders.NewOrder{Reference: deref(input.Reference), AllowBackorder: orTrue(input.AllowBackorder),
		AllowPreorder: orTrue(input.AllowPreorder), Paid: deref(input.Paid), IdempotencyKey: deref(input.IdempotencyKey)}
	var err error
	if in.InventoryModelID, err = optionalID("inventoryModelId", relay.KindInventoryModel, input.InventoryModelID); err != nil {
		return in, err
	}
	if in.ReservationID, err = optionalID("reservationId", relay.KindReservation, input.ReservationID); err != nil {
		return in, err
	}
	in.Lines, err = lineInputs(input.Lines)
	return in, err
}

func newReservation(input model.ReserveStockInput) (orders.NewReservation, error) {
	in := orders.NewReservation{Reference: deref(input.Reference), AllowBackorder: orTrue(input.AllowBackorder),
		AllowPreorder: orTrue(input.AllowPreorder), IdempotencyKey: deref(input.IdempotencyKey)}
	if input.TTLSeconds != nil {
		if *input.TTLSeconds < 1 {
			return in, apperr.New(apperr.BadUserInput, "ttlSeconds %d is below 1", *input.TTLSeconds).WithField("ttlSeconds")
		}
		in.TTL = seconds(*input.TTLSeconds)
	}
	var err error
	if in.InventoryModelID, err = optionalID("inventoryModelId", relay.KindInventoryModel, input.InventoryModelID); err != nil {
		return in, err
	}
	in.Lines, err = lineInputs(input.Lines)
	return in, err
}

func previewInput(input model.SourcingPreviewInput) (orders.PreviewInput, error) {
	in := orders.PreviewInput{AllowBackorder: orTrue(input.AllowBackorder), AllowPreorder: orTrue(input.AllowPreorder), Paid: deref(input.Paid)}
	var err error
	if in.InventoryModelID, err = optionalID("inventoryModelId", relay.KindInventoryModel, input.InventoryModelID); err != nil {
		return in, err
	}
	in.Lines, err = lineInputs(input.Lines)
	return in, err
}

func backorderFill(input model.FulfillBackordersInput) (orders.BackorderFill, error) {
	var f orders.BackorderFill
	if input.VariantID != nil || input.Sku != nil {
		ref, err := variantRef("", input.VariantID, input.Sku, nil)
		if err != nil {
			return f, err
		}
		f.Variant = &ref
	}
	var err error
	f.LocationID, err = optionalID("locationId", relay.KindLocation, input.LocationID)
	return f, err
}

// lineTotals are a line's open units by how they are held.
func lineTotals(ctx context.Context, l *models.OrderLine) (orders.LineTotals, error) {
	allocs, err := loaders.For(ctx).AllocationsByLine.Load(ctx, l.ID)()
	return orders.Totals(allocs), err
}

// counted says a preview source's figures are counts: false for an item
// not tracked by quantity, which holds unlimited units.
func counted(s *orders.SourceView) bool {
	return !s.HasItem || s.TrackingMode == models.TrackQuantity
}

func orderQuery(ctx context.Context, filter *model.OrderFilter, w relayArgs) (orders.OrderQuery, error) {
	q := orders.OrderQuery{WithTotal: slices.Contains(graphql.CollectAllFields(ctx), "totalCount")}
	var err error
	if q.Window, err = window(w.first, w.after, w.last, w.before); err != nil || filter == nil {
		return q, err
	}
	q.Statuses, q.Reference, q.SKU = filter.Status, filter.Reference, filter.Sku
	q.Created = orders.TimeRange(timeRange(filter.CreatedAt))
	q.Updated = orders.TimeRange(timeRange(filter.UpdatedAt))
	if q.IDs, err = idsAt("filter.ids", relay.KindOrder, filter.Ids); err != nil {
		return q, err
	}
	q.VariantID, err = optionalID("filter.variantId", relay.KindVariant, filter.VariantID)
	return q, err
}

func reservationQuery(ctx context.Context, filter *model.ReservationFilter, w relayArgs) (orders.ReservationQuery, error) {
	q := orders.ReservationQuery{WithTotal: slices.Contains(graphql.CollectAllFields(ctx), "totalCount")}
	var err error
	if q.Window, err = window(w.first, w.after, w.last, w.before); err != nil || filter == nil {
		return q, err
	}
	q.Statuses = filter.Status
	q.IDs, err = idsAt("filter.ids", relay.KindReservation, filter.Ids)
	return q, err
}

// relayArgs are a connection's cursor arguments.
type relayArgs struct {
	first, last   *int
	after, before *string
}

func orderConnection(p page.Page[models.Order]) *model.OrderConnection {
	es, nodes := edges(p, func(c string, o *models.Order) *model.OrderEdge {
		return &model.OrderEdge{Cursor: c, Node: o}
	})
	return &model.OrderConnection{Edges: es, Nodes: nodes, PageInfo: pageInfo(p), TotalCount: p.TotalCount}
}

func reservationConnection(p page.Page[models.Reservation]) *model.ReservationConnection {
	es, nodes := edges(p, func(c string, r *models.Reservation) *model.ReservationEdge {
		return &model.ReservationEdge{Cursor: c, Node: r}
	})
	return &model.ReservationConnection{Edges: es, Nodes: nodes, PageInfo: pageInfo(p), TotalCount: p.TotalCount}
}

func seconds(n int) time.Duration { return time.Duration(n) * time.Second }
