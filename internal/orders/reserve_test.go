package orders_test

import (
	"sync"
	"testing"
	"time"

	"stockgraph/internal/apperr"
	"stockgraph/internal/orders"
	"stockgraph/models"
)

func (f *fixture) reserve(t testing.TB, lines ...orders.LineInput) models.Reservation {
	t.Helper()
	res, err := orders.Reserve(ctx, f.db, f.actor, orders.NewReservation{Lines: lines, TTL: time.Hour})
	if err != nil {
		t.Fatalf("Reserve: %v", err)
	}
	return res.Value
}

// lapse makes a reservation due now, as if its ttl had passed.
func (f *fixture) lapse(t testing.TB, id int64) {
	t.Helper()
	if err := f.db.Exec(`UPDATE reservations SET expires_at = now() - interval '1 second' WHERE store_id = ? AND id = ?`, f.actor.Store.ID, id).Error; err != nil {
		t.Fatal(err)
	}
}

func TestReservationLifecycle(t *testing.T) {
	f := setup(t)
	f.stock(t, "SKU-1", "WH-A", 5)
	r := f.reserve(t, line("SKU-1", 2))
	if r.Status != models.ReservationActive || time.Until(r.ExpiresAt) < 59*time.Minute {
		t.Errorf("reservation = %+v, want ACTIVE for an hour", r)
	}
	if got := f.levelsOf(t, "SKU-1", "WH-A"); got != "5/2/0/0" {
		t.Errorf("levels while reserved = %s, want 5/2/0/0", got)
	}
	released, err := orders.ReleaseReservation(ctx, f.db, f.actor, r.ID)
	if err != nil || released.Status != models.ReservationReleased || released.EndedAt == nil {
		t.Fatalf("release = %+v, %v", released, err)
	}
	if got := f.levelsOf(t, "SKU-1", "WH-A"); got != "5/0/0/0" {
		t.Errorf("levels after release = %s, want 5/0/0/0", got)
	}
	_, err = orders.ReleaseReservation(ctx, f.db, f.actor, r.ID)
	if e := wantCode(t, "release twice", err, apperr.ReservationEnded); e[0].Extra["status"] != "RELEASED" {
		t.Errorf("status = %v, want RELEASED", e[0].Extra["status"])
	}
	_, err = orders.CreateOrder(ctx, f.db, f.actor, orders.NewOrder{ReservationID: r.ID})
	wantCode(t, "convert a released reservation", err, apperr.ReservationEnded)

	kept := f.reserve(t, line("SKU-1", 3))
	o := f.order(t, orders.NewOrder{ReservationID: kept.ID, Reference: "#7"})
	if o.ReservationID == nil || *o.ReservationID != kept.ID || f.allocations(t, o.ID) != "SKU-1@WH-A:STOCK×3" {
		t.Errorf("converted order = %+v with %q, want reservation %d's 3 units", o, f.allocations(t, o.ID), kept.ID)
	}
	if got := f.levelsOf(t, "SKU-1", "WH-A"); got != "5/3/0/0" {
		t.Errorf("levels after converting = %s, want 5/3/0/0 (units held once)", got)
	}
	for _, tt := range []struct {
		name string
		in   orders.NewReservation
		code apperr.Code
	}{
		{"ttl too long", orders.NewReservation{Lines: []orders.LineInput{line("SKU-1", 1)}, TTL: 8 * 24 * time.Hour}, apperr.BadUserInput},
		{"more than there is", orders.NewReservation{Lines: []orders.LineInput{line("SKU-1", 3)}}, apperr.OutOfStock},
	} {
		_, err := orders.Reserve(ctx, f.db, f.actor, tt.in)
		wantCode(t, tt.name, err, tt.code)
	}
	f.mustAddUp(t)
}

// TestReservationsLapseExactlyOnce: many expirers at once, and orders
// converting the same reservations, never let units go twice nor convert a
// lapsed reservation.
func TestReservationsLapseExactlyOnce(t *testing.T) {
	f := setup(t)
	f.stock(t, "SKU-1", "WH-A", 40)
	var ids []int64
	for range 20 {
		r := f.reserve(t, line("SKU-1", 2))
		f.lapse(t, r.ID)
		ids = append(ids, r.ID)
	}
	var wg sync.WaitGroup
	var mu sync.Mutex
	ended, converted := 0, 0
	for range 4 {
		wg.Go(func() {
			n, err := orders.ExpireDue(ctx, f.db, 100)
			if err != nil {
				t.Error(err)
			}
			mu.Lock()
			ended += n
			mu.Unlock()
		})
	}
	for _, id := range ids {
		wg.Go(func() {
			_, err := orders.CreateOrder(ctx, f.db, f.actor, orders.NewOrder{ReservationID: id})
			if err == nil {
				mu.Lock()
				converted++
				mu.Unlock()
			} else if apperr.CodeOf(err) != apperr.ReservationEnded {
				t.Errorf("convert %d: %v", id, err)
			}
		})
	}
	wg.Wait()
	if ended != 20 || converted != 0 {
		t.Errorf("expired %d and converted %d of 20 lapsed reservations, want 20 and 0", ended, converted)
	}
	if got := f.levelsOf(t, "SKU-1", "WH-A"); got != "40/0/0/0" {
		t.Errorf("levels after every reservation lapsed = %s, want 40/0/0/0", got)
	}
	var releases int64
	f.db.Model(&models.Movement{}).Where("store_id = ? AND reason = 'reservationExpired'", f.actor.Store.ID).Count(&releases)
	if releases != 20 {
		t.Errorf("release movements = %d, want 20 (one per reservation)", releases)
	}
	f.mustAddUp(t)
}

// TestConvertRacesLapse: a reservation converted while it lapses ends up
// either converted or expired, never both, and its units are held by the
// order or returned, exactly once.
func TestConvertRacesLapse(t *testing.T) {
	f := setup(t)
	f.stock(t, "SKU-1", "WH-A", 100)
	for range 10 {
		r := f.reserve(t, line("SKU-1", 1))
		if err := f.db.Exec(`UPDATE reservations SET expires_at = now() + interval '30 milliseconds' WHERE id = ?`, r.ID).Error; err != nil {
			t.Fatal(err)
		}
		var wg sync.WaitGroup
		wg.Go(func() {
			time.Sleep(30 * time.Millisecond)
			if _, err := orders.ExpireDue(ctx, f.db, 10); err != nil {
				t.Error(err)
			}
		})
		wg.Go(func() {
			time.Sleep(25 * time.Millisecond)
			_, err := orders.CreateOrder(ctx, f.db, f.actor, orders.NewOrder{ReservationID: r.ID})
			if err != nil && apperr.CodeOf(err) != apperr.ReservationEnded {
				t.Error(err)
			}
		})
		wg.Wait()
		// An expirer that met the order's row lock skipped the reservation
		// (SKIP LOCKED); the server's next pass ends it, as here.
		if _, err := orders.ExpireDue(ctx, f.db, 10); err != nil {
			t.Fatal(err)
		}
		got, err := orders.GetReservation(ctx, f.db, f.actor.Store.ID, r.ID)
		if err != nil || (got.Status != models.ReservationConverted && got.Status != models.ReservationExpired) {
			t.Errorf("reservation %d = %+v, %v; want CONVERTED or EXPIRED", r.ID, got, err)
		}
	}
	f.mustAddUp(t)
}

// TestRunExpirerLapsesByItself: the server's loop returns a reservation's
// units after its ttl with nobody calling anything.
func TestRunExpirerLapsesByItself(t *testing.T) {
	f := setup(t)
	f.stock(t, "SKU-1", "WH-A", 5)
	res, err := orders.Reserve(ctx, f.db, f.actor, orders.NewReservation{Lines: []orders.LineInput{line("SKU-1", 5)}, TTL: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	loopCtx, stop := contextWithCancel()
	done := make(chan struct{})
	go func() { orders.RunExpirer(loopCtx, f.db, 100*time.Millisecond, discardLogger(), nil); close(done) }()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) && f.levelsOf(t, "SKU-1", "WH-A") != "5/0/0/0" {
		time.Sleep(50 * time.Millisecond)
	}
	stop()
	<-done
	got, _ := orders.GetReservation(ctx, f.db, f.actor.Store.ID, res.Value.ID)
	if got.Status != models.ReservationExpired || f.levelsOf(t, "SKU-1", "WH-A") != "5/0/0/0" {
		t.Errorf("after the ttl: %s with levels %s, want EXPIRED and 5/0/0/0", got.Status, f.levelsOf(t, "SKU-1", "WH-A"))
	}
	f.mustAddUp(t)
}
