package resolvers

import (
	"context"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/handler/transport"

	"stockgraph/graph/model"
	"stockgraph/internal/api/relay"
	"stockgraph/internal/apperr"
	"stockgraph/internal/events"
	"stockgraph/models"
)

// Paging of stockEvents.
const (
	defaultEventPage = 100
	maxEventPage     = 250
)

// eventFilter decodes a StockEventFilter, naming the field of a bad ID as
// the client sent it; types, when set, narrows the filter's own types
// (backorderLimitReached).
func eventFilter(in *model.StockEventFilter, types ...models.StockEventType) (events.Filter, error) {
	f := events.Filter{}
	if in != nil {
		var err error
		if f.VariantIDs, err = optionalIDs("filter.variantIds", relay.KindVariant, in.VariantIds); err != nil {
			return f, err
		}
		if f.ProductIDs, err = optionalIDs("filter.productIds", relay.KindProduct, in.ProductIds); err != nil {
			return f, err
		}
		if f.LocationIDs, err = optionalIDs("filter.locationIds", relay.KindLocation, in.LocationIds); err != nil {
			return f, err
		}
		f.Types = in.Types
	}
	if types != nil {
		f.Types = narrowTypes(f.Types, types)
	}
	return f, nil
}

// narrowTypes is the types of want that the filter lets through.
func narrowTypes(filter, want []models.StockEventType) []models.StockEventType {
	if filter == nil {
		return want
	}
	out := []models.StockEventType{}
	for _, t := range want {
		for _, f := range filter {
			if f == t {
				out = append(out, t)
			}
		}
	}
	return out
}

func optionalIDs(field string, kind relay.Kind, gids []string) ([]int64, error) {
	if gids == nil {
		return nil, nil
	}
	return parseIDsAt(field, kind, gids)
}

// eventPosition decodes an optional `after` cursor.
func eventPosition(after *string) (*events.Position, error) {
	if after == nil {
		return nil, nil
	}
	p, err := relay.DecodeEventCursor("after", *after)
	return &p, err
}

// eventPageSize checks stockEvents' first.
func eventPageSize(first *int) (int, error) {
	if first == nil {
		return defaultEventPage, nil
	}
	if *first < 0 || *first > maxEventPage {
		return 0, apperr.New(apperr.BadUserInput, "first must be between 0 and %d, got %d", maxEventPage, *first).WithField("first")
	}
	return *first, nil
}

// eventConnection builds a page of events. Its endCursor is the last
// event's cursor, or the horizon's when the page is empty, so that a
// client polling with `after: endCursor` always moves on, also past
// events its filter skips.
func eventConnection(evs []models.StockEvent, horizon events.Position, hasNext bool) *model.StockEventConnection {
	conn := &model.StockEventConnection{Edges: make([]*model.StockEventEdge, len(evs)), Nodes: make([]*models.StockEvent, len(evs))}
	for i := range evs {
		conn.Nodes[i] = &evs[i]
		conn.Edges[i] = &model.StockEventEdge{Cursor: relay.EncodeEventCursor(events.Of(evs[i])), Node: &evs[i]}
	}
	end := relay.EncodeEventCursor(horizon)
	info := &model.PageInfo{HasNextPage: hasNext, EndCursor: &end}
	if n := len(evs); n > 0 {
		start := conn.Edges[0].Cursor
		info.StartCursor, info.EndCursor = &start, &conn.Edges[n-1].Cursor
	}
	conn.PageInfo = info
	return conn
}

// subscribe starts a subscription through the hub and hands its events to
// gqlgen. When the hub ends it with an error (too slow, a revoked token,
// a failed read), the subscription ends with that error after the events
// already buffered: extensions.code says why and, for SUBSCRIBER_TOO_SLOW,
// extensions.cursor is the last event delivered, to resume from.
func (r *subscriptionResolver) subscribe(ctx context.Context, filter *model.StockEventFilter, after *string, types ...models.StockEventType) (<-chan *models.StockEvent, error) {
	f, err := eventFilter(filter, types...)
	if err != nil {
		return nil, err
	}
	from, err := eventPosition(after)
	if err != nil {
		return nil, err
	}
	sub, err := r.Events.Subscribe(ctx, storeID(ctx), f, from, events.SubscribeOptions{Check: r.Reauthorize, CheckEvery: r.ReauthorizeEvery})
	if err != nil {
		return nil, err
	}
	out := make(chan *models.StockEvent)
	go forward(ctx, sub, out)
	return out, nil
}

// forward passes the hub's events on until the subscription ends, then
// reports its error, if any, to the client.
func forward(ctx context.Context, sub *events.Subscription, out chan<- *models.StockEvent) {
	defer close(out)
	last := sub.Start
	for e := range sub.C {
		select {
		case out <- e:
			last = events.Of(*e)
		case <-ctx.Done():
			return
		}
	}
	err := sub.Err()
	if err == nil || ctx.Err() != nil {
		return
	}
	if err == events.ErrTooSlow {
		err = apperr.New(apperr.SubscriberTooSlow, "the subscription fell too far behind and was ended; subscribe again with after: extensions.cursor").
			With("cursor", relay.EncodeEventCursor(last))
	}
	// Through the presenter, as every other error: a code, and no
	// database text for a fault of ours.
	rctx := graphql.WithFreshResponseContext(ctx)
	graphql.AddError(rctx, err)
	for _, presented := range graphql.GetErrors(rctx) {
		transport.AddSubscriptionError(ctx, presented)
	}
}
