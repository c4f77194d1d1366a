package events

import (
	"context"
	"strconv"
	"sync"
	"time"

	"gorm.io/gorm"

	"stockgraph/internal/database"
)

// The doorbell. Listeners (the hub's feeds, the webhook worker) learn from
// a NOTIFY on Channel, with the store's ID, that a store has new events
// to read. It is rung after the writing transaction commits, not inside
// it: a transaction that notifies takes one database-wide lock at its
// commit, so a NOTIFY in every write would have every write of every store
// commit one at a time. Rings of a store that arrive while one is being
// sent are folded into one more, sent after it. The events table stays
// the truth: a ring that is lost (the process dies between the commit and
// the ring) only delays the readers until their slow poll.

// RingAfterCommit rings storeID's doorbell once tx's transaction has
// committed (database.AfterCommit).
func RingAfterCommit(tx *gorm.DB, storeID int64) {
	database.AfterCommit(tx, func(db *gorm.DB) { Ring(db, storeID) })
}

// ringTimeout bounds one ring: its NOTIFY is a statement of its own.
const ringTimeout = 2 * time.Second

// bells are the stores' doorbells being rung in this process.
var bells sync.Map // store ID → *bell

// bell folds the rings of one store that arrive while one is being sent.
type bell struct {
	mu      sync.Mutex
	ringing bool // a NOTIFY is being sent
	again   bool // a ring arrived meanwhile: send one more after it
}

// Ring notifies Channel with storeID now, unless a ring of the store is
// being sent, into which it is folded: that one then sends one more. The
// caller sends at most one NOTIFY; what arrives meanwhile is rung by a
// goroutine of its own, so that no request rings for others for long.
// Errors are left to the slow poll.
func Ring(db *gorm.DB, storeID int64) {
	v, _ := bells.LoadOrStore(storeID, &bell{})
	b := v.(*bell)
	if !b.start() {
		return
	}
	notify(db, storeID)
	if b.finish() {
		go func() {
			for {
				notify(db, storeID)
				if !b.finish() {
					return
				}
			}
		}()
	}
}

// start says whether the caller is to send the store's ring (none is
// being sent); otherwise the ring being sent will send one more.
func (b *bell) start() bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.ringing {
		b.again = true
		return false
	}
	b.ringing = true
	return true
}

// finish ends a sent ring and says whether another must be sent (rings
// were folded into it meanwhile).
func (b *bell) finish() bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.again {
		b.again = false
		return true
	}
	b.ringing = false
	return false
}

// notify sends one NOTIFY on Channel with the store's ID.
func notify(db *gorm.DB, storeID int64) {
	ctx, cancel := context.WithTimeout(context.Background(), ringTimeout)
	defer cancel()
	_ = db.WithContext(ctx).Exec(`SELECT pg_notify(?, ?)`, Channel, strconv.FormatInt(storeID, 10)).Error
}
