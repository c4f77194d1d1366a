package api

import (
	"context"
	"database/sql/driver"
	"errors"
	"io"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/jackc/pgx/v5/pgconn"

	"stockgraph/internal/apperr"
	"stockgraph/internal/database"
)

// DefaultRequestTimeout is how long a query or mutation over HTTP may run
// (Config.RequestTimeout); its context, and so its SQL, is cancelled then.
// Subscriptions over websockets have no such deadline.
const DefaultRequestTimeout = 30 * time.Second

// retryAfterSeconds is the Retry-After of an UNAVAILABLE answer: long
// enough for a restarting PostgreSQL, short enough not to lose a client.
const retryAfterSeconds = "2"

// outage turns the errors of an overloaded or unreachable database into
// the codes a client can act on: TIMEOUT (the request's deadline or
// statement_timeout, SQLSTATE 57014), LOCK_TIMEOUT (55P03) and
// UNAVAILABLE (no connection: refused, broken, the server shutting down,
// 57P01–57P03 and class 08, or none of the pool's free within the
// acquire timeout). Each failed inside its transaction, which
// rolled back, so nothing was half written. (Only a connection lost while
// its COMMIT was under way leaves the outcome unknown: the message points
// to idempotency keys, with which a retry applies a change once.)
func outage(err error) (*apperr.Error, bool) {
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		switch {
		case pgErr.Code == "57014":
			return apperr.New(apperr.Timeout, "the request took too long and was stopped; nothing was changed"), true
		case pgErr.Code == "55P03":
			return apperr.New(apperr.LockTimeout, "the items are locked by another change; nothing was changed, try again"), true
		case strings.HasPrefix(pgErr.Code, "57P"), strings.HasPrefix(pgErr.Code, "08"):
			return unavailable(), true
		}
		return nil, false
	}
	var connectErr *pgconn.ConnectError
	var netErr *net.OpError
	switch {
	case errors.Is(err, database.ErrPoolExhausted):
		return apperr.New(apperr.Unavailable, "the database is busy: no connection came free in time; retry in a few seconds (a change retried with its idempotencyKey is applied once)"), true
	case errors.Is(err, context.DeadlineExceeded):
		return apperr.New(apperr.Timeout, "the request took longer than its deadline and was stopped; nothing was changed"), true
	case errors.As(err, &connectErr), errors.As(err, &netErr), errors.Is(err, driver.ErrBadConn),
		errors.Is(err, io.ErrUnexpectedEOF): // the connection broke mid-statement
		return unavailable(), true
	}
	return nil, false
}

// abandoned says whether err is the request's own cancellation: its
// client closed the connection or gave up. That is no fault of ours, so it
// is CANCELLED, not INTERNAL, in the logs and metrics (the client hears
// nothing). A cancellation of our own making, with the request's context
// still live, stays INTERNAL.
func abandoned(ctx context.Context, err error) bool {
	return errors.Is(err, context.Canceled) && errors.Is(ctx.Err(), context.Canceled)
}

// cancelled is the error of an abandoned request.
func cancelled() *apperr.Error {
	return apperr.New(apperr.Cancelled, "the request was cancelled by its client; nothing was changed")
}

func unavailable() *apperr.Error {
	return apperr.New(apperr.Unavailable, "the database is unavailable: retry in a few seconds (a change retried with its idempotencyKey is applied once)")
}

// withDeadline gives a query or mutation over HTTP its deadline.
func withDeadline(r *http.Request, d time.Duration) (*http.Request, context.CancelFunc) {
	ctx, cancel := context.WithTimeout(r.Context(), d)
	return r.WithContext(ctx), cancel
}

// outageStatus is the HTTP status of a response: 503 with Retry-After
// when an error in it is UNAVAILABLE, 499 (for the log; nobody reads it)
// when its client abandoned it, ok otherwise.
func outageStatus(w http.ResponseWriter, resp *graphql.Response, ok int) int {
	for _, e := range resp.Errors {
		switch e.Extensions["code"] {
		case string(apperr.Unavailable):
			w.Header().Set("Retry-After", retryAfterSeconds)
			return http.StatusServiceUnavailable
		case string(apperr.Cancelled):
			return statusClientClosedRequest
		}
	}
	return ok
}

// refuseUnread prepares the answer to a request refused before its body
// was read (no token, a body too large): the connection closes after the
// answer, and no read waits for the rest of the body, so a client that
// sends slowly, or never, holds nothing once it has its answer. Without
// this, net/http reads up to 256 KiB of the leftover body, before the
// answer for a body of unknown length, to keep the connection alive.
func refuseUnread(w http.ResponseWriter, r *http.Request) {
	if r.ContentLength == 0 {
		return // no body: the connection can serve the next request
	}
	w.Header().Set("Connection", "close")
	_ = http.NewResponseController(w).SetReadDeadline(time.Now())
}
