package events

import (
	"context"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5"
)

// ListenerName is the application_name of the hub's LISTEN connection, by
// which operators (and tests) find it in pg_stat_activity.
const ListenerName = "stockgraph-events-listener"

// Reconnection backoff of the listener.
const (
	minReconnect = 100 * time.Millisecond
	maxReconnect = 5 * time.Second
)

// listen keeps one connection LISTENing on Channel and rings the feed of
// each notified store, until ctx ends. A notification says only which
// store to read; the table stays the truth. So whenever the connection
// is (re)established every feed reads: what rang while it was down is
// read then, and nothing is lost.
func (h *Hub) listen(ctx context.Context, dsn string) {
	backoff := minReconnect
	for ctx.Err() == nil && h.ctx.Err() == nil {
		err := h.listenOnce(ctx, dsn, func() { backoff = minReconnect })
		if ctx.Err() != nil || h.ctx.Err() != nil {
			return
		}
		h.opts.Logger.Warn("stock events listener disconnected; reconnecting", "err", err, "in", backoff)
		select {
		case <-ctx.Done():
			return
		case <-h.ctx.Done():
			return
		case <-time.After(backoff):
		}
		backoff = min(2*backoff, maxReconnect)
	}
}

// listenOnce connects, listens and dispatches notifications until the
// connection fails; connected runs once it listens.
func (h *Hub) listenOnce(ctx context.Context, dsn string, connected func()) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	stop := context.AfterFunc(h.ctx, cancel)
	defer stop()
	cfg, err := pgx.ParseConfig(dsn)
	if err != nil {
		return err
	}
	cfg.RuntimeParams["application_name"] = ListenerName
	conn, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		return err
	}
	defer conn.Close(context.Background())
	if _, err := conn.Exec(ctx, "LISTEN "+pgx.Identifier{Channel}.Sanitize()); err != nil {
		return err
	}
	connected()
	h.wakeAll()
	for {
		n, err := conn.WaitForNotification(ctx)
		if err != nil {
			return err
		}
		if id, err := strconv.ParseInt(n.Payload, 10, 64); err == nil {
			h.wake(id)
		}
	}
}
