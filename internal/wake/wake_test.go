package wake

import "testing"

func TestRingWakesEveryWaiterOnce(t *testing.T) {
	b := New()
	first, second := b.Wait(), b.Wait()
	select {
	case <-first:
		t.Fatal("a bell nobody rang woke its waiter")
	default:
	}
	b.Ring()
	for _, c := range []<-chan struct{}{first, second} {
		select {
		case <-c:
		default:
			t.Fatal("a ring left a waiter asleep")
		}
	}
	select {
	case <-b.Wait():
		t.Fatal("a waiter after the ring woke without one")
	default:
	}
}
