package bench

import (
	"context"
	"io"
	"testing"
	"time"

	"stockgraph/internal/database"
	"stockgraph/internal/testsupport/testdb"
)

// TestRunEventsSmall runs the events benchmark at its smallest: every
// subscriber on both replicas must receive every committed adjustment.
func TestRunEventsSmall(t *testing.T) {
	db, url := openDB(t)
	rep, err := RunEvents(t.Context(), db, EventOptions{Subscribers: 4, Writers: 2, Duration: time.Second, Items: 10, DatabaseURL: url}, io.Discard)
	if err != nil {
		t.Fatalf("RunEvents: %v", err)
	}
	if err := rep.Err(); err != nil || rep.Mutations == 0 || rep.Delivered != 4*rep.Mutations {
		t.Fatalf("RunEvents = %d mutations, %d delivered, %v; want every one of the 4 subscribers to get each\n%s", rep.Mutations, rep.Delivered, err, rep)
	}
}

func TestEventOptionsValidate(t *testing.T) {
	good := EventOptions{Subscribers: 100, Writers: 8, Duration: 10 * time.Second, Items: 100, DatabaseURL: "postgres://x"}
	if err := good.validate(); err != nil {
		t.Fatalf("validate(%+v) = %v, want nil", good, err)
	}
	for _, bad := range []func(*EventOptions){
		func(o *EventOptions) { o.Subscribers = 1 },
		func(o *EventOptions) { o.Writers = 0 },
		func(o *EventOptions) { o.Duration = time.Hour },
		func(o *EventOptions) { o.Items = 0 },
		func(o *EventOptions) { o.DatabaseURL = "" },
	} {
		o := good
		bad(&o)
		if err := o.validate(); err == nil {
			t.Errorf("validate(%+v) = nil, want an error", o)
		}
	}
}

// openDB opens a fresh database, closed when the test ends, and returns
// it with its URL.
func openDB(t *testing.T) (*database.DB, string) {
	t.Helper()
	url := testdb.MustCreate(t)
	db, err := database.Open(context.Background(), url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db, url
}
