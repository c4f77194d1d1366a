package transfer

import (
	"bytes"
	"strings"
	"testing"
	"time"
)

// clock is a fake clock that moves by step at every reading.
func clock(step time.Duration) func() time.Time {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	return func() time.Time {
		now = now.Add(step)
		return now
	}
}

func TestProgressPlainLines(t *testing.T) {
	var out bytes.Buffer
	p := NewProgress(&out, false, 1000, "imported")
	p.Now = clock(time.Millisecond)
	for rows := 1; rows <= 25000; rows++ {
		p.Update(rows, int64(rows/25))
	}
	p.Done(25000, 1000)
	lines := strings.Split(strings.TrimSuffix(out.String(), "\n"), "\n")
	if len(lines) != 2 || !strings.HasPrefix(lines[0], "imported  40% 10000 rows, 1000 rows/s, ETA 15s") ||
		!strings.HasPrefix(lines[1], "imported  80% 20000 rows") {
		t.Errorf("Progress(plain) output = %q, want lines at 10000 and 20000 rows with percentage, rate and ETA", out.String())
	}
	if strings.Contains(out.String(), "\r") {
		t.Errorf("Progress(plain) output = %q, want no carriage returns", out.String())
	}
}

func TestProgressTerminal(t *testing.T) {
	var out bytes.Buffer
	p := NewProgress(&out, true, 100, "imported")
	p.Now = clock(50 * time.Millisecond) // a redraw every other update
	for rows := 1; rows <= 4; rows++ {
		p.Update(rows*10, int64(rows*10))
	}
	p.Log("line 7: bad")
	p.Update(50, 50)
	p.Done(100, 100)
	got := out.String()
	if n := strings.Count(got, "\r["); n != 4 {
		t.Errorf("Progress(terminal) draws = %d, want 4 (first, every 100ms, after the log, done):\n%q", n, got)
	}
	const third = "[#########---------------------]  30% 30 rows, 300 rows/s, ETA 0s"
	if !strings.Contains(got, "\r"+third+"\r"+strings.Repeat(" ", len(third))+"\rline 7: bad\n") {
		t.Errorf("Progress(terminal) = %q, want the bar at 30%% blanked before the logged line", got)
	}
	if !strings.Contains(got, "\r[###---------------------------]  10% 10 rows\r") {
		t.Errorf("Progress(terminal) = %q, want the first bar without rate or ETA", got)
	}
	if want := "100% 100 rows, 400 rows/s"; !strings.HasSuffix(strings.TrimRight(got, " \n"), want) || !strings.HasSuffix(got, "\n") {
		t.Errorf("Progress(terminal) ends %q, want %q and a newline", got[max(len(got)-40, 0):], want)
	}
}

func TestProgressNil(t *testing.T) {
	var p *Progress
	p.Update(1, 1)
	p.Log("x")
	p.Done(1, 1)
}
