package api

import (
	"context"
	"errors"
	"io"
	"net/http"
	"sync"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/handler/transport"
	"github.com/vektah/gqlparser/v2/ast"

	"stockgraph/internal/auth"
	"stockgraph/internal/loaders"
)

// DefaultInitTimeout is how long a websocket client has to send
// connection_init.
const DefaultInitTimeout = 5 * time.Second

// keepAlive is the interval of websocket keep-alive messages.
const keepAlive = 15 * time.Second

// closeInitTimeout is graphql-transport-ws's close code for a connection
// that sent no connection_init in time.
const closeInitTimeout = 4408

// reauthorize checks a websocket connection's token again, so that a
// subscription of a revoked token (or one that lost read_inventory) ends
// within ReauthorizeEvery. Requests over HTTP have nothing to check.
func reauthorize(cfg Config) func(context.Context) error {
	return func(ctx context.Context) error {
		header, ok := ctx.Value(websocketAuthKey{}).(string)
		if !ok {
			return nil
		}
		p, err := principalFor(ctx, cfg, header)
		if err != nil {
			return err
		}
		_, err = auth.Require(auth.WithPrincipal(ctx, p), auth.ReadInventory)
		return err
	}
}

// perEvent gives each response of a subscription, one per event, fresh
// loaders: an event's item and movements are read as they are when the
// event goes out, not as an earlier event of the same long-lived
// operation cached them.
func perEvent(cfg Config) graphql.ResponseMiddleware {
	return func(ctx context.Context, next graphql.ResponseHandler) *graphql.Response {
		if p := auth.FromContext(ctx); p != nil && isSubscription(ctx) {
			ctx = loaders.With(ctx, loaders.New(cfg.DB.DB, p.StoreID, cfg.LoaderWait))
		}
		return next(ctx)
	}
}

// initDeadline wraps a websocket implementation so that a connection whose
// first message does not come within timeout is closed with 4408.
type initDeadline struct {
	inner   transport.WebsocketImplementation
	timeout time.Duration
	conns   *Websockets
}

func (d initDeadline) Accept(w http.ResponseWriter, r *http.Request, opts transport.WebsocketAcceptOptions) (transport.WebsocketConn, error) {
	if d.conns.shuttingDown() {
		refuseShuttingDown(w, r)
		return nil, errors.New("websocket refused: shutting down")
	}
	conn, err := d.inner.Accept(w, r, opts)
	if err != nil {
		return nil, err
	}
	c := &deadlineConn{WebsocketConn: conn}
	c.timer = time.AfterFunc(d.timeout, c.expire)
	tracked, ok := d.conns.track(c)
	if !ok {
		_ = c.WriteClose(closeGoingAway, "server shutting down")
		return nil, errors.New("websocket refused: shutting down")
	}
	return tracked, nil
}

// deadlineConn is a websocket connection waiting for its first message.
// gqlgen reads connection_init as the first message and refuses any
// other, so the first message arriving is the init's arrival.
type deadlineConn struct {
	transport.WebsocketConn
	mu      sync.Mutex
	timer   *time.Timer
	started bool
	expired bool
}

func (c *deadlineConn) expire() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.started {
		return
	}
	c.expired = true
	_ = c.WebsocketConn.WriteClose(closeInitTimeout, "Connection initialisation timeout")
}

func (c *deadlineConn) NextReader() (int, io.Reader, error) {
	t, r, err := c.WebsocketConn.NextReader()
	c.mu.Lock()
	if err == nil && !c.expired && !c.started {
		c.started = true
		c.timer.Stop()
	}
	c.mu.Unlock()
	return t, r, err
}

func (c *deadlineConn) WriteClose(code int, message string) error {
	c.timer.Stop()
	return c.WebsocketConn.WriteClose(code, message)
}

// SetReadLimit and SetReadDeadline pass on the inner connection's
// optional abilities, which gqlgen's payload limit and ping/pong use.
func (c *deadlineConn) SetReadLimit(limit int64) {
	if l, ok := c.WebsocketConn.(transport.WebsocketReadLimiter); ok {
		l.SetReadLimit(limit)
	}
}

func (c *deadlineConn) SetReadDeadline(t time.Time) error {
	if d, ok := c.WebsocketConn.(transport.WebsocketReadDeadliner); ok {
		return d.SetReadDeadline(t)
	}
	return nil
}

func isSubscription(ctx context.Context) bool {
	if !graphql.HasOperationContext(ctx) {
		return false
	}
	op := graphql.GetOperationContext(ctx).Operation
	return op != nil && op.Operation == ast.Subscription
}
