package api

import (
	"context"
	"encoding/json"
	"errors"
	"math"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"
	"gorm.io/gorm"

	"stockgraph/internal/api/cost"
	"stockgraph/internal/apperr"
	"stockgraph/internal/auth"
	"stockgraph/internal/inventory"
	"stockgraph/internal/loaders"
	"stockgraph/internal/orders"
	"stockgraph/internal/page"
	"stockgraph/internal/throttle"
)

// Limits is what one operation may ask for, each limit with its own code.
// Cost counts every field once, and a list's selection once per element it
// may hold (see costTable); the seed query over 100 products with 100
// variants each costs about 40,000, three nested connections of 250 cost
// millions. Depth, aliases and fields count the document with its
// fragments expanded (without expanding them: each is counted once).
var Limits = cost.Limits{Cost: 200_000, Depth: 15, Aliases: 100, Fields: 5_000}

// limitCodes gives each limit its code.
var limitCodes = map[cost.Limit]apperr.Code{
	cost.LimitCost:    apperr.ComplexityLimitExceeded,
	cost.LimitDepth:   apperr.DepthLimitExceeded,
	cost.LimitAliases: apperr.AliasLimitExceeded,
	cost.LimitFields:  apperr.FieldLimitExceeded,
}

// costExtension prices every operation before anything runs (see package
// cost), refuses it when it passes a limit, and keeps the figures for the
// response's extensions.cost.
type costExtension struct {
	db      *gorm.DB
	wait    time.Duration     // the loaders'
	buckets *throttle.Buckets // by token
}

// DefaultThrottle is a token's bucket: five operations of the highest
// cost at once, restored at a quarter of that a second. The price taken
// before an operation runs is an upper bound (an order's lines priced at
// 250 each); what it exceeded the actual cost by is given back once the
// response is known (operationCost), so the bucket holds off clients by
// what they fetch, and the price only keeps concurrent heavy requests from
// overdrawing it.
var DefaultThrottle = throttle.Config{Size: 5 * float64(Limits.Cost), Rate: float64(Limits.Cost) / 4}

// DefaultAddressThrottle is a client address's budget of requests without
// a valid token: 20 at once, one more a second.
var DefaultAddressThrottle = throttle.Config{Size: 20, Rate: 1}

// operationCost is an operation's cost: its price (the requested cost),
// taken from its token's bucket before it runs, and what its responses
// held (the actual cost, cost.Actual), settled with the bucket once the
// response is known. A subscription pays its price when it starts and
// each of its events' actual cost as it is delivered.
type operationCost struct {
	requested int64
	buckets   *throttle.Buckets // nil without a token
	key       string            // the token's
	// refused is the bucket's status when the price was refused
	// (THROTTLED): nothing ran, and the actual cost is null.
	refused      *throttle.Status
	subscription bool

	mu      sync.Mutex
	settled bool
	status  throttle.Status // the bucket after the last settlement
}

// settle reports the cost of one of the operation's responses, with data
// its response's data. The first response of a query or mutation gets
// back what its price exceeded its actual cost by (or pays the overrun);
// each later response (a subscription's events, a query's @defer'd parts
// over a websocket) pays its actual cost, so deferring the heavy fields
// does not get them for the price of the light ones.
func (c *operationCost) settle(data []byte) map[string]any {
	if c.refused != nil {
		return costReport(c.requested, nil, c.refused)
	}
	actual := cost.Actual(data)
	if c.buckets == nil {
		return costReport(c.requested, &actual, nil)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	switch over := float64(c.requested - actual); {
	case c.subscription, c.settled:
		c.status = c.buckets.Charge(c.key, float64(actual))
	case over >= 0:
		c.status = c.buckets.Refund(c.key, over)
	default:
		c.status = c.buckets.Charge(c.key, -over)
	}
	c.settled = true
	return costReport(c.requested, &actual, &c.status)
}

// costReport is extensions.cost: actual is nil when nothing ran, st when
// the operation has no token.
func costReport(requested int64, actual *int64, st *throttle.Status) map[string]any {
	ext := map[string]any{"requestedQueryCost": requested, "actualQueryCost": nil}
	if actual != nil {
		ext["actualQueryCost"] = *actual
	}
	if st != nil {
		ext["throttleStatus"] = map[string]any{"maximumAvailable": st.Maximum, "currentlyAvailable": st.Available, "restoreRate": st.Rate}
	}
	return ext
}

// throttled is the THROTTLED error for a bucket's status.
func throttled(st throttle.Status) *apperr.Error {
	secs := int64(math.Ceil(st.RetryAfter.Seconds()))
	return apperr.New(apperr.Throttled, "too many requests: the budget of cost points is spent; retry in %d s", secs).
		With("retryAfterSeconds", secs)
}

// setRetryAfter copies a THROTTLED error's wait into the Retry-After header.
func setRetryAfter(w http.ResponseWriter, e *apperr.Error) {
	if secs, ok := e.Extra["retryAfterSeconds"].(int64); ok {
		w.Header().Set("Retry-After", strconv.FormatInt(max(secs, 1), 10))
	}
}

var (
	_ graphql.HandlerExtension        = costExtension{}
	_ graphql.OperationContextMutator = costExtension{}
)

func (costExtension) ExtensionName() string                   { return "Cost" }
func (costExtension) Validate(graphql.ExecutableSchema) error { return nil }

func (c costExtension) MutateOperationContext(ctx context.Context, op *graphql.OperationContext) *gqlerror.Error {
	if op.Operation == nil {
		return nil
	}
	count := &locationCount{}
	if p := auth.FromContext(ctx); p != nil {
		// The operation's loaders, made here so that the store's
		// locations, loaded to price byLocation, are loaded once for the
		// pricing and the resolvers both (perOperation takes them).
		count.loaders = loaders.New(c.db, p.StoreID, c.wait)
		op.Stats.SetExtension(loadersStatsKey, storeLoaders{storeID: p.StoreID, loaders: count.loaders})
	}
	ctx = context.WithValue(ctx, locationCountKey{}, count)
	r, err := cost.Analyze(ctx, op.Operation, op.Variables, costTable, Limits)
	var limit *cost.LimitError
	switch {
	case errors.As(err, &limit):
		e := apperr.New(limitCodes[limit.Limit], "the operation's %s passes the limit of %d", limitNames[limit.Limit], limit.Max).
			With("limit", limit.Max)
		return &gqlerror.Error{Message: e.Message, Err: e}
	case err != nil:
		return &gqlerror.Error{Message: "the request was cancelled", Err: err}
	}
	oc := &operationCost{requested: r.Cost, subscription: op.Operation.Operation == ast.Subscription}
	op.Stats.SetExtension(costStatsKey, oc)
	if p := auth.FromContext(ctx); p != nil {
		oc.buckets, oc.key = c.buckets, strconv.FormatInt(p.TokenID, 10)
		st, ok := c.buckets.Take(oc.key, float64(r.Cost))
		if !ok {
			oc.refused = &st
			e := throttled(st).With("cost", costReport(r.Cost, nil, &st))
			return &gqlerror.Error{Message: e.Message, Err: e}
		}
		oc.status = st
	}
	return nil
}

// limitNames are the limits as the refusals name them.
var limitNames = map[cost.Limit]string{
	cost.LimitCost:    "cost",
	cost.LimitDepth:   "depth",
	cost.LimitAliases: "number of aliases",
	cost.LimitFields:  "number of fields",
}

const costStatsKey = "cost"

// loadersStatsKey holds the storeLoaders costExtension made for the
// operation.
const loadersStatsKey = "stockgraph.loaders"

type storeLoaders struct {
	storeID int64
	loaders *loaders.Loaders
}

// operationLoaders are the loaders costExtension made for the operation
// in ctx, if it made some for this store.
func operationLoaders(ctx context.Context, storeID int64) *loaders.Loaders {
	if !graphql.HasOperationContext(ctx) {
		return nil
	}
	l, ok := graphql.GetOperationContext(ctx).Stats.GetExtension(loadersStatsKey).(storeLoaders)
	if !ok || l.storeID != storeID {
		return nil
	}
	return l.loaders
}

// withCost puts extensions.cost { requestedQueryCost actualQueryCost
// throttleStatus } on every response of an operation that was priced,
// THROTTLED ones too, and settles the token's bucket (operationCost).
func withCost(ctx context.Context, next graphql.ResponseHandler) *graphql.Response {
	resp := next(ctx)
	if resp == nil || !graphql.HasOperationContext(ctx) {
		return resp
	}
	oc, ok := graphql.GetOperationContext(ctx).Stats.GetExtension(costStatsKey).(*operationCost)
	if !ok {
		return resp
	}
	if resp.Extensions == nil {
		resp.Extensions = map[string]any{}
	}
	resp.Extensions["cost"] = oc.settle(resp.Data)
	return resp
}

// locationCountKey holds the operation's *locationCount.
type locationCountKey struct{}

// locationCount counts the store's locations once per operation, and only
// if the operation has a field priced by it (byLocation), through the
// operation's loaders: the resolvers of byLocation use the same rows.
type locationCount struct {
	loaders *loaders.Loaders
	once    sync.Once
	n       int64
}

// maxLocationsUnknown prices byLocation when the store's number of
// locations cannot be read: its page size.
const maxLocationsUnknown = page.MaxSize

func (c *locationCount) get(ctx context.Context) int64 {
	c.once.Do(func() {
		c.n = maxLocationsUnknown
		if c.loaders == nil {
			return
		}
		if rows, err := c.loaders.Locations(ctx); err == nil {
			c.n = int64(len(rows))
		}
	})
	return c.n
}

// costTable gives every list field its multiplier (TestEveryListIsPriced
// keeps it complete). Connections count their page; their edges and nodes
// are that page, so count once more. Batch mutations count their input's
// items, which prices their payload's lists too. Lists the client cannot
// bound are priced by the domain's maximum.
var costTable = func() cost.Table {
	t := cost.Table{
		"ProductInventory.byLocation": locations,
		"VariantInventory.byLocation": locations,
		"OrderLine.allocations":       locations,
		"SourcingPreviewLine.sources": locations,
		"SourcingPreviewLine.takes":   locations,
		"Order.lines":                 fixed(orders.MaxLines),
		"Reservation.lines":           fixed(orders.MaxLines),
		"StockEvent.movements":        fixed(inventory.MaxBatch),
		// The report lists the items whose levels disagree with the
		// ledger: none in a healthy store, priced as one batch.
		"InventoryConsistencyReport.mismatches": fixed(inventory.MaxBatch),
		"FulfillBackordersPayload.orders":       fixed(page.MaxSize),
		"WebhookDelivery.attemptLog":            firstOr(25),
		"Query.webhooks":                        firstOr(page.DefaultSize),
		"Query.webhookDeliveries":               firstOr(page.DefaultSize),
		"Webhook.deliveries":                    firstOr(page.DefaultSize),
		"Query.stockEvents":                     firstOr(page.DefaultSize),
		"Query.bulkOperations":                  firstOr(page.DefaultSize),
		"Query.sourcingPreview":                 inputLength("lines"),
		"Mutation.createOrder":                  inputLength("lines"),
		"Mutation.updateOrder":                  inputLength("lines"),
		"Mutation.fulfillOrder":                 inputLength("lines"),
		"Mutation.reserveStock":                 inputLength("lines"),
		"Mutation.cancelOrder":                  inputLength("lineIds"),
		"Mutation.createProduct":                inputLength("variants"),
		"Mutation.adjustInventoryAbsolute":      inputLength("items"),
		"Mutation.adjustInventoryRelative":      inputLength("items"),
		"Mutation.moveInventory":                inputLength("changes"),
		"Mutation.updateInventorySettings":      inputLength("settings"),
		"Mutation.setInventoryTracking":         inputLength("productIds", "variantIds"),
		"Mutation.bulkUpdateInventory":          bulkChanges,
	}
	for _, f := range []string{"Store.products", "Store.locations", "Store.orders", "Store.reservations", "Store.auditLog",
		"Store.stockLevels", "Store.inventoryModels", "InventoryModel.stockLevels", "Product.variants",
		"Location.inventoryItems", "InventoryItem.movements", "Query.inventoryMovements"} {
		t[f] = pageSize
	}
	for _, f := range []string{"AdjustInventoryPayload.items", "AdjustInventoryPayload.movements",
		"AdjustInventoryPayload.results", "MoveInventoryPayload.balances", "MoveInventoryPayload.items",
		"MoveInventoryPayload.movements", "UpdateInventorySettingsPayload.items",
		"UpdateInventorySettingsPayload.results", "SourcingPreview.lines", "BulkUpdateInventoryPayload.balances",
		"BulkUpdateInventoryPayload.items", "BulkUpdateInventoryPayload.movements"} {
		t[f] = fixed(1) // priced by their mutation's input
	}
	for _, conn := range []string{"Product", "Variant", "Location", "InventoryItem", "InventoryMovement",
		"Order", "Reservation", "StockLevel", "InventoryModel", "StockEvent", "Webhook", "WebhookDelivery", "AuditEntry", "BulkOperation"} {
		t[conn+"Connection.edges"] = fixed(1) // priced by their connection
		t[conn+"Connection.nodes"] = fixed(1)
	}
	return t
}()

// pageSize is a connection's page: first, last or pageSize, else the
// default page.
func pageSize(_ context.Context, args map[string]any) int64 {
	for _, name := range []string{"first", "last", "pageSize"} {
		if n, ok := asInt(args[name]); ok {
			return n
		}
	}
	return page.DefaultSize
}

// firstOr is a connection that takes first only, with its own default.
func firstOr(def int64) cost.Multiplier {
	return func(_ context.Context, args map[string]any) int64 {
		if n, ok := asInt(args["first"]); ok {
			return n
		}
		return def
	}
}

func fixed(n int64) cost.Multiplier {
	return func(context.Context, map[string]any) int64 { return n }
}

// locations is the store's number of locations, counted once per operation.
func locations(ctx context.Context, _ map[string]any) int64 {
	if c, ok := ctx.Value(locationCountKey{}).(*locationCount); ok {
		return c.get(ctx)
	}
	return maxLocationsUnknown
}

// inputLength is the number of elements of the named lists of the
// mutation's input (1 when it has none: the mutation still runs once).
func inputLength(lists ...string) cost.Multiplier {
	return func(_ context.Context, args map[string]any) int64 {
		input, _ := args["input"].(map[string]any)
		var n int64
		for _, name := range lists {
			if l, ok := input[name].([]any); ok {
				n += int64(len(l))
			}
		}
		return n
	}
}

// bulkChanges prices bulkUpdateInventory by its product changes and the
// variant changes in them: each is at least one balance, item or
// movement of the payload.
func bulkChanges(_ context.Context, args map[string]any) int64 {
	input, _ := args["input"].(map[string]any)
	products, _ := input["productChanges"].([]any)
	n := int64(len(products))
	for _, p := range products {
		pc, _ := p.(map[string]any)
		if l, ok := pc["variantChanges"].([]any); ok {
			n += int64(len(l))
		}
	}
	return n
}

// asInt reads an Int argument, as a literal or as a coerced variable.
func asInt(v any) (int64, bool) {
	switch v := v.(type) {
	case int:
		return int64(v), true
	case int32:
		return int64(v), true
	case int64:
		return v, true
	case float64:
		return int64(v), true
	case json.Number:
		n, err := v.Int64()
		return n, err == nil
	}
	return 0, false
}
