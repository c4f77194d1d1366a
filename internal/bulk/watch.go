package bulk

import (
	"context"
	"time"

	"gorm.io/gorm"
)

// watchPoll is how often Watch reads an operation that no worker of this
// process reported moving (another replica's worker may run it).
const watchPoll = time.Second

// Watch sends the operation now and each time it changes (status,
// progress, counts) until it ends, then closes the channel. A reader
// that falls behind gets the latest state, never a backlog. The first
// read's error (NOT_FOUND) is returned at once.
func Watch(ctx context.Context, db *gorm.DB, storeID, id int64) (<-chan Operation, error) {
	op, err := Get(ctx, db, storeID, id)
	if err != nil {
		return nil, err
	}
	out := make(chan Operation, 1)
	go func() {
		defer close(out)
		last := op
		out <- op
		timer := time.NewTimer(watchPoll)
		defer timer.Stop()
		for !last.Status.Final() {
			rung := changed.Wait()
			timer.Reset(watchPoll)
			select {
			case <-ctx.Done():
				return
			case <-rung:
			case <-timer.C:
			}
			op, err := Get(ctx, db, storeID, id)
			if err != nil {
				return // the operation's store was deleted, or the context ended
			}
			if moved(last, op) {
				last = op
				select {
				case out <- op:
				case <-ctx.Done():
					return
				}
			}
		}
	}()
	return out, nil
}

func moved(a, b Operation) bool {
	return a.Status != b.Status || a.Done != b.Done || a.Total != b.Total || a.RowsWritten != b.RowsWritten || a.ErrorCount != b.ErrorCount
}
