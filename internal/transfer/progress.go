package transfer

import (
	"fmt"
	"io"
	"os"
	"strings"
	"time"
)

// Progress shows how far an import or export is. On a terminal it redraws
// one line in place with a bar when the total is known; elsewhere, such as
// in a log file, it prints a plain line every Every rows. A nil *Progress
// shows nothing, so callers need not check.
type Progress struct {
	w        io.Writer
	terminal bool
	total    int64  // bytes to read, 0 when unknown
	verb     string // "imported", "exported"
	// Every is the number of rows between plain lines.
	Every int
	// Now is the clock; tests replace it.
	Now func() time.Time

	start, drawn time.Time
	next         int // rows at which the next plain line is due
	width        int // width of the line drawn last, to blank it
}

// redrawEvery limits redraws on a terminal: faster is only flicker.
const redrawEvery = 100 * time.Millisecond

// NewProgress returns a progress for w. total is the number of bytes the
// work reads when known, to show a percentage and an estimate of the time
// left; verb says what happens to rows.
func NewProgress(w io.Writer, terminal bool, total int64, verb string) *Progress {
	return &Progress{w: w, terminal: terminal, total: total, verb: verb, Every: 10000, Now: time.Now}
}

// IsTerminal reports whether f is a terminal (a character device).
func IsTerminal(f *os.File) bool {
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}

// Update says rows are done and bytes of the input are read.
func (p *Progress) Update(rows int, bytes int64) {
	if p == nil {
		return
	}
	now := p.Now()
	if p.start.IsZero() {
		p.start, p.next = now, p.Every
	}
	switch {
	case p.terminal && now.Sub(p.drawn) >= redrawEvery:
		p.drawn = now
		p.draw(p.status(rows, bytes, now))
	case !p.terminal && rows >= p.next:
		p.next = (rows/p.Every + 1) * p.Every
		fmt.Fprintf(p.w, "%s %s\n", p.verb, p.status(rows, bytes, now))
	}
}

// Done ends the bar with its final state; plain output needs nothing.
func (p *Progress) Done(rows int, bytes int64) {
	if p == nil || !p.terminal || p.start.IsZero() {
		return
	}
	p.draw(p.status(rows, bytes, p.Now()))
	fmt.Fprintln(p.w)
	p.width = 0
}

// Log prints a line, such as a row's error, above the bar.
func (p *Progress) Log(line string) {
	if p == nil {
		return
	}
	if p.terminal && p.width > 0 {
		fmt.Fprintf(p.w, "\r%s\r", strings.Repeat(" ", p.width))
		p.width, p.drawn = 0, time.Time{} // redraw at the next update
	}
	fmt.Fprintln(p.w, line)
}

func (p *Progress) draw(s string) {
	pad := max(p.width-len(s), 0)
	fmt.Fprintf(p.w, "\r%s%s", s, strings.Repeat(" ", pad))
	p.width = len(s)
}

// status is "[####----] 42% 12000 rows 8000 rows/s ETA 3s" on a terminal
// with a known total, and the same without the bar elsewhere.
func (p *Progress) status(rows int, bytes int64, now time.Time) string {
	elapsed := now.Sub(p.start)
	var b strings.Builder
	frac := -1.0
	if p.total > 0 {
		frac = min(float64(bytes)/float64(p.total), 1)
	}
	if frac >= 0 && p.terminal {
		const width = 30
		done := int(frac * width)
		fmt.Fprintf(&b, "[%s%s] ", strings.Repeat("#", done), strings.Repeat("-", width-done))
	}
	if frac >= 0 {
		fmt.Fprintf(&b, "%3.0f%% ", frac*100)
	}
	fmt.Fprintf(&b, "%d rows", rows)
	if elapsed > 0 {
		fmt.Fprintf(&b, ", %.0f rows/s", float64(rows)/elapsed.Seconds())
	}
	if frac > 0 && frac < 1 && elapsed > 0 {
		left := time.Duration(float64(elapsed) * (1 - frac) / frac)
		fmt.Fprintf(&b, ", ETA %s", left.Round(time.Second))
	}
	return b.String()
}
