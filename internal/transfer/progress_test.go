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
	for rows := 1; rows <= 4; rows++ {
		p.Update(rows*10, int64(rows*10))
	}
	p.Log("line 7: bad")
	p.Update(50, 50)
	p.Done(100, 100)
	got := out.String()
	// The bar is blanked ("\r", spaces, "\r") before the line is written.
	if !strings.Contains(got, " \rline 7: bad\n") {
		t.Errorf("Progress(terminal) = %q, want the bar blanked before the logged line", got)
	}
	if n := strings.Count(got, "\n"); n != 2 {
		t.Errorf("Progress(terminal) newlines = %d, want 2 (after the logged line and at the end):\n%q", n, got)
	}
	last := got[strings.LastIndex(got, "\r")+1:]
	if !strings.HasPrefix(last, "imported 100 rows 100% |") || !strings.Contains(last, "(100/100 B") || !strings.HasSuffix(last, "\n") {
		t.Errorf("Progress(terminal) ends %q, want the final bar with 100 rows, 100%% and 100/100 B, then a newline", last)
	}
}

func TestProgressTerminalUnknownTotal(t *testing.T) {
	var out bytes.Buffer
	p := NewProgress(&out, true, 0, "exported")
	for rows := 1; rows <= 1000; rows++ {
		p.Update(rows, 0)
	}
	p.Log("a note")
	p.Done(1000, 0)
	got := out.String()
	last := got[strings.LastIndex(got, "\r")+1:]
	if !strings.Contains(last, " exported (1000, ") || !strings.HasSuffix(last, "\n") {
		t.Errorf("Progress(terminal, unknown total) ends %q, want the row count 1000, then a newline; all: %q", last, got)
	}
	if !strings.Contains(got, "\ra note\n") {
		t.Errorf("Progress(terminal, unknown total) = %q, want the note on a line of its own", got)
	}
}

func TestProgressLogBeforeUpdate(t *testing.T) {
	var out bytes.Buffer
	p := NewProgress(&out, true, 100, "imported")
	p.Log("line 1: bad header")
	p.Done(0, 0)
	if got := out.String(); got != "line 1: bad header\n" {
		t.Errorf("Progress(terminal) with no rows = %q, want only the logged line", got)
	}
}

func TestProgressNil(t *testing.T) {
	var p *Progress
	p.Update(1, 1)
	p.Log("x")
	p.Done(1, 1)
}
