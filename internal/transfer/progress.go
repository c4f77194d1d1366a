package transfer

import (
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/schollz/progressbar/v3"
	"golang.org/x/term"
)

// Progress shows how far an import or export is. On a terminal it draws
// a progressbar/v3 bar: over the input's bytes when their total is known
// (an import from a file), else a spinner counting rows. Elsewhere, such
// as in a log file, it prints a plain line every Every rows, which the
// library cannot do: it only redraws one line in place. A nil *Progress
// shows nothing, so callers need not check.
type Progress struct {
	w        io.Writer
	terminal bool
	total    int64  // bytes to read, 0 when unknown
	verb     string // "imported", "exported"
	// Every is the number of rows between plain lines.
	Every int
	// Now is the clock of the plain lines; tests replace it.
	Now func() time.Time

	start time.Time
	next  int // rows at which the next plain line is due

	bar       *progressbar.ProgressBar // on a terminal, from the first update
	described time.Time                // when the rows in the bar's description were last set

	fn func(rows int, bytes int64) // NewProgressFunc's
}

// NewProgressFunc returns a progress that calls f on every update: for a
// caller that shows progress its own way, such as a bulk operation
// recording it in the database.
func NewProgressFunc(f func(rows int, bytes int64)) *Progress {
	return &Progress{fn: f}
}

// redrawEvery limits redraws on a terminal: faster is only flicker.
const redrawEvery = 100 * time.Millisecond

// NewProgress returns a progress for w. total is the number of bytes the
// work reads when known, to show a percentage and an estimate of the time
// left; verb says what happens to rows.
func NewProgress(w io.Writer, terminal bool, total int64, verb string) *Progress {
	return &Progress{w: w, terminal: terminal, total: total, verb: verb, Every: 10000, Now: time.Now}
}

// IsTerminal reports whether f is a terminal (not merely a character
// device such as /dev/null).
func IsTerminal(f *os.File) bool {
	return term.IsTerminal(int(f.Fd()))
}

// Update says rows are done and bytes of the input are read.
func (p *Progress) Update(rows int, bytes int64) {
	switch {
	case p == nil:
	case p.fn != nil:
		p.fn(rows, bytes)
	case p.terminal:
		p.drawBar(rows, bytes, false)
	default:
		p.plainLine(rows, bytes)
	}
}

// Done ends the bar with its final state; plain output needs nothing.
func (p *Progress) Done(rows int, bytes int64) {
	if p == nil || p.bar == nil {
		return
	}
	p.drawBar(rows, bytes, true)
	_ = p.bar.Finish() // draws the final state, whatever the throttle
	fmt.Fprintln(p.w)
}

// Log prints a line, such as a row's error, above the bar.
func (p *Progress) Log(line string) {
	switch {
	case p == nil, p.fn != nil:
	case p.bar == nil:
		fmt.Fprintln(p.w, line)
	case p.bar.IsFinished():
		// A finished bar is drawn no more, so the line must blank it; Done
		// draws it again below the line.
		_ = p.bar.Clear()
		fmt.Fprintln(p.w, line)
	default:
		// Held until the next redraw, which blanks the bar, writes the
		// line and draws the bar below it.
		_, _ = progressbar.Bprintln(p.bar, line)
	}
}

// drawBar moves the bar: by bytes with the rows in its description when
// the total is known, else by rows.
func (p *Progress) drawBar(rows int, bytes int64, final bool) {
	if p.bar == nil {
		p.bar = p.newBar()
	}
	if p.total > 0 {
		// A new description redraws the bar, even once it is full (the
		// input is read ahead of the rows applied): at most every
		// redrawEvery, and at the end.
		if now := time.Now(); final || now.Sub(p.described) >= redrawEvery {
			p.described = now
			p.bar.Describe(fmt.Sprintf("%s %d rows", p.verb, rows))
		}
		_ = p.bar.Set64(min(bytes, p.total))
		return
	}
	_ = p.bar.Set64(int64(rows))
}

func (p *Progress) newBar() *progressbar.ProgressBar {
	opts := []progressbar.Option{
		progressbar.OptionSetWriter(p.w),
		progressbar.OptionSetWidth(30),
		progressbar.OptionThrottle(redrawEvery),
		progressbar.OptionShowCount(),
		// Drawn at once, before the spinner's goroutine starts, which
		// then reads the start time without the bar's lock.
		progressbar.OptionSetRenderBlankState(true),
	}
	if p.total > 0 {
		opts = append(opts, progressbar.OptionShowBytes(true), progressbar.OptionSetDescription(p.verb))
		return progressbar.NewOptions64(p.total, opts...)
	}
	opts = append(opts, progressbar.OptionSetDescription(p.verb), progressbar.OptionShowIts(),
		progressbar.OptionSetItsString("rows"), progressbar.OptionSpinnerType(14), progressbar.OptionShowTotalBytes(false))
	return progressbar.NewOptions64(-1, opts...)
}

// plainLine prints a line when rows passes the next multiple of Every.
func (p *Progress) plainLine(rows int, bytes int64) {
	now := p.Now()
	if p.start.IsZero() {
		p.start, p.next = now, p.Every
	}
	if rows >= p.next {
		p.next = (rows/p.Every + 1) * p.Every
		fmt.Fprintf(p.w, "%s %s\n", p.verb, p.status(rows, bytes, now))
	}
}

// status is "42% 12000 rows, 8000 rows/s, ETA 3s", without the percentage
// and the ETA when the total is unknown.
func (p *Progress) status(rows int, bytes int64, now time.Time) string {
	elapsed := now.Sub(p.start)
	var b strings.Builder
	frac := -1.0
	if p.total > 0 {
		frac = min(float64(bytes)/float64(p.total), 1)
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
