// Package apperr defines the one error type the API returns to clients and
// the short list of codes it carries in `extensions.code`. Domain packages
// return *Error for anything the caller did wrong; every other error is a
// bug or an outage, logged in full and shown to clients as INTERNAL.
package apperr

import (
	"errors"
	"fmt"
	"maps"
)

// Code is the machine-readable kind of an error, stable across releases.
type Code string

// The codes clients can rely on. README.md documents each of them.
const (
	// Unauthenticated: no token, or a token that is unknown or revoked (HTTP 401).
	Unauthenticated Code = "UNAUTHENTICATED"
	// Forbidden: the token lacks the scope the field needs.
	Forbidden Code = "FORBIDDEN"
	// NotFound: no such object in the caller's store (another store's
	// objects are not found either).
	NotFound Code = "NOT_FOUND"
	// BadRequest: the HTTP request is not a well-formed GraphQL-over-HTTP
	// request (a body that is not one JSON object with a string "query",
	// batched operations, a wrong Content-Type, a body too large or too
	// deeply nested). HTTP 400, or 413, 415 or 405 where those say more.
	BadRequest Code = "BAD_REQUEST"
	// BadUserInput: an argument is malformed or out of range.
	BadUserInput Code = "BAD_USER_INPUT"
	// Conflict: the change clashes with existing data, such as a taken SKU.
	Conflict Code = "CONFLICT"
	// NegativeStock: the change would leave a quantity below zero (on
	// hand only when the store allows negative stock).
	NegativeStock Code = "NEGATIVE_STOCK"
	// BackorderLimitExceeded: more backordered than the item's backorder limit.
	BackorderLimitExceeded Code = "BACKORDER_LIMIT_EXCEEDED"
	// OutOfStock: an order or reservation line asks for more than its
	// inventory model can cover from stock, backorders and preorders;
	// extensions carry variantId, sku, locationId, availableQuantity and
	// availableQuantityForBackorder (BigCommerce's 409), one error a line.
	OutOfStock Code = "OUT_OF_STOCK"
	// ShipmentOnHold: fulfilling units whose shipment is on hold (a held
	// stock level, a backorder or a preorder not yet turned into stock).
	ShipmentOnHold Code = "SHIPMENT_ON_HOLD"
	// ReservationEnded: the reservation lapsed, was released or became
	// an order already; extensions.status says which.
	ReservationEnded Code = "RESERVATION_ENDED"
	// RevisionConflict: the item changed since the revision the client
	// passed; extensions.currentRevision has the current one.
	RevisionConflict Code = "REVISION_CONFLICT"
	// RevisionRequired: the store requires expectedRevision on every
	// write to an existing item (requireExpectedRevision) and the write
	// left it out; extensions.currentRevision has the item's revision.
	RevisionRequired Code = "REVISION_REQUIRED"
	// TrackedByStatus: a quantity change sent to an item tracked by
	// in-stock status only, which has no quantities; switch it to
	// QUANTITY first, or in the same call (bulkUpdateInventory).
	TrackedByStatus Code = "TRACKED_BY_STATUS"
	// NoDefaultLocation: a write left out locationId and the store has no
	// default location to use instead.
	NoDefaultLocation Code = "NO_DEFAULT_LOCATION"
	// DefaultLocationInUse: deleting or disabling the store's default
	// location; make another location the default first.
	DefaultLocationInUse Code = "DEFAULT_LOCATION_IN_USE"
	// IdempotencyKeyReused: the idempotency key was used before for a
	// different request.
	IdempotencyKeyReused Code = "IDEMPOTENCY_KEY_REUSED"
	// FeatureDisabled: backorder or preorder values while the store has
	// them switched off.
	FeatureDisabled Code = "FEATURE_DISABLED"
	// SubscriberTooSlow: a subscription fell further behind than its
	// buffer holds and was ended; extensions.cursor is the last event it
	// delivered, to pass as `after` when subscribing again.
	SubscriberTooSlow Code = "SUBSCRIBER_TOO_SLOW"
	// Timeout: the request ran past its deadline, or one of its SQL
	// statements past statement_timeout; its changes were rolled back.
	Timeout Code = "TIMEOUT"
	// LockTimeout: a row the change needs stayed locked by another
	// transaction past lock_timeout; nothing was changed, retry later.
	LockTimeout Code = "LOCK_TIMEOUT"
	// Unavailable: the database cannot be reached or is shutting down
	// (HTTP 503 with Retry-After); nothing was changed, retry later.
	Unavailable Code = "UNAVAILABLE"
	// Cancelled: the client went away or cancelled the request before its
	// answer; its transaction rolled back. Only logs and metrics see it.
	Cancelled Code = "CANCELLED"
	// ComplexityLimitExceeded: the operation's cost passes the limit
	// (extensions.limit); nothing ran.
	ComplexityLimitExceeded Code = "COMPLEXITY_LIMIT_EXCEEDED"
	// DepthLimitExceeded: fields nested deeper than the limit; nothing ran.
	DepthLimitExceeded Code = "DEPTH_LIMIT_EXCEEDED"
	// AliasLimitExceeded: more aliases than the limit; nothing ran.
	AliasLimitExceeded Code = "ALIAS_LIMIT_EXCEEDED"
	// FieldLimitExceeded: more fields, fragments expanded, than the
	// limit; nothing ran.
	FieldLimitExceeded Code = "FIELD_LIMIT_EXCEEDED"
	// PersistedQueryNotFound: the request sent a persisted query's hash
	// without its query, and the server does not know the hash (yet, or
	// any more): send the query with its hash once (Apollo's automatic
	// persisted queries, whose code and message this is).
	PersistedQueryNotFound Code = "PERSISTED_QUERY_NOT_FOUND"
	// Throttled: the token's bucket of cost points (or, without a valid
	// token, the client address's) holds less than the operation costs;
	// HTTP 429 with Retry-After.
	Throttled Code = "THROTTLED"
	// FileTooLarge: a bulk import's file is larger than the server takes
	// (extensions.maxBytes); split it into several imports.
	FileTooLarge Code = "FILE_TOO_LARGE"
	// Internal: something failed on our side; the message says no more.
	Internal Code = "INTERNAL"
)

// Error is an error meant for the API's client.
type Error struct {
	Code    Code
	Message string
	// Field names the offending input field, such as "input.sku", when one does.
	Field string
	// Index is the position of the offending item in a list input, or -1.
	Index int
	// Extra holds more machine-readable details for the client.
	Extra map[string]any
	// Value is the offending input value, such as a malformed ID, for an
	// error raised where the field's name is not known (relay.ParseID):
	// the API finds the value among the operation's arguments and names
	// that argument in extensions.field. Clients never see it.
	Value string
}

func (e *Error) Error() string { return e.Message }

// New returns an error with a formatted message.
func New(code Code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...), Index: -1}
}

// WithField names the input field the error is about.
func (e *Error) WithField(field string) *Error {
	e.Field = field
	return e
}

// WithValue records the offending input value (see Error.Value).
func (e *Error) WithValue(v string) *Error {
	e.Value = v
	return e
}

// WithIndex names the list item the error is about.
func (e *Error) WithIndex(i int) *Error {
	e.Index = i
	return e
}

// With adds a machine-readable detail to the error's extensions.
func (e *Error) With(key string, value any) *Error {
	if e.Extra == nil {
		e.Extra = map[string]any{}
	}
	e.Extra[key] = value
	return e
}

// List is several client errors of one request, such as one per failing
// item of a batch. It reads as its first error; extensions.errors lists all.
type List []*Error

func (l List) Error() string {
	if len(l) == 1 {
		return l[0].Message
	}
	return fmt.Sprintf("%s (and %d more errors)", l[0].Message, len(l)-1)
}

// Unwrap returns the list's errors, so that errors.As (and As and CodeOf)
// find the first.
func (l List) Unwrap() []error {
	out := make([]error, len(l))
	for i, e := range l {
		out[i] = e
	}
	return out
}

// Err returns the list as one *Error (nil when empty): the first error's
// code, field and index, with every error under extensions.errors.
func (l List) Err() error {
	if len(l) == 0 {
		return nil
	}
	if len(l) == 1 {
		return l[0]
	}
	first := *l[0]
	first.Message = l.Error()
	first.Extra = maps.Clone(first.Extra)
	all := make([]map[string]any, len(l))
	for i, e := range l {
		all[i] = e.Extensions()
		all[i]["message"] = e.Message
	}
	return (&first).With("errors", all)
}

// As returns the *Error in err's chain, if any.
func As(err error) (*Error, bool) {
	var e *Error
	ok := errors.As(err, &e)
	return e, ok
}

// IsRefusal reports whether err is a request's own answer: a client
// mistake or a refusal by the rules (OUT_OF_STOCK, REVISION_CONFLICT, ...),
// decided before anything was written, rather than a failure of the
// server or the database (INTERNAL, TIMEOUT, LOCK_TIMEOUT, UNAVAILABLE,
// CANCELLED, or an error with no code). Writes applied together
// (coalesced) roll back the refused request's savepoint and go on.
func IsRefusal(err error) bool {
	e, ok := As(err)
	if !ok {
		return false
	}
	switch e.Code {
	case Internal, Timeout, LockTimeout, Unavailable, Cancelled:
		return false
	}
	return true
}

// CodeOf returns the code of err: its *Error's code, or Internal.
func CodeOf(err error) Code {
	if e, ok := As(err); ok {
		return e.Code
	}
	return Internal
}

// Extensions returns what the client sees in the error's `extensions`.
func (e *Error) Extensions() map[string]any {
	ext := map[string]any{"code": string(e.Code)}
	if e.Field != "" {
		ext["field"] = e.Field
	}
	if e.Index >= 0 {
		ext["index"] = e.Index
	}
	for k, v := range e.Extra {
		ext[k] = v
	}
	return ext
}
