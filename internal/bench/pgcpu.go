// This file measures the CPU time PostgreSQL spends, from /proc, so that
// a benchmark can print what a request costs the database next to what a
// pgbench transaction costs it.

package bench

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// PostgresCPU is the CPU time of every postgres process on the machine,
// from /proc (clock ticks of 10 ms), with that of the backends that
// exited (their postmaster's children's time). It counts every database
// and every cluster: use it on a quiet machine.
func PostgresCPU() time.Duration {
	var ticks int64
	for _, p := range postgresProcesses() {
		ticks += p.ticks + p.childTicks
	}
	return time.Duration(ticks) * tick
}

// tick is the kernel's clock tick, which Linux reports CPU times in.
const tick = 10 * time.Millisecond

// pgProcess is one postgres process as /proc shows it.
type pgProcess struct {
	pid               string
	ticks, childTicks int64 // user + system, its own and its reaped children's
}

// postgresProcesses lists the postgres processes of the machine.
func postgresProcesses() []pgProcess {
	stats, _ := filepath.Glob("/proc/[0-9]*/stat")
	var out []pgProcess
	for _, path := range stats {
		b, err := os.ReadFile(path)
		if err != nil {
			continue
		}
		s := string(b)
		open, end := strings.IndexByte(s, '('), strings.LastIndexByte(s, ')')
		if open < 0 || end < open || s[open+1:end] != "postgres" {
			continue
		}
		f := strings.Fields(s[end+2:])
		if len(f) < 15 {
			continue
		}
		n := make([]int64, 4) // utime, stime, cutime, cstime
		for i := range n {
			n[i], _ = strconv.ParseInt(f[11+i], 10, 64)
		}
		out = append(out, pgProcess{pid: filepath.Base(filepath.Dir(path)), ticks: n[0] + n[1], childTicks: n[2] + n[3]})
	}
	return out
}

// backendDatabase is the database a backend serves, from its process
// title ("postgres: user database host(port) state"); "" for the
// postmaster and the background processes.
func backendDatabase(pid string) string {
	b, err := os.ReadFile("/proc/" + pid + "/cmdline")
	if err != nil {
		return ""
	}
	f := strings.Fields(strings.ReplaceAll(string(b), "\x00", " "))
	if len(f) < 3 || f[0] != "postgres:" {
		return ""
	}
	return f[2]
}

// watchDatabaseCPU samples, every 50 ms until the returned function is
// called (once), the CPU time of the backends serving the database, and then
// returns how much they used meanwhile. Counting by database keeps out
// what other clients of a shared cluster cost; a backend that exits
// between samples loses its last 50 ms at most (pgbench and the API keep
// theirs open through a run). Background processes (WAL writer,
// checkpointer) are not counted, for the API as for pgbench.
func watchDatabaseCPU(database string) (stop func() time.Duration) {
	first, last := map[string]int64{}, map[string]int64{}
	sample := func(initial bool) {
		for _, p := range postgresProcesses() {
			if _, known := last[p.pid]; !known && backendDatabase(p.pid) != database {
				continue
			}
			if _, seen := first[p.pid]; !seen {
				first[p.pid] = 0 // a backend that started during the run: all its time
				if initial {
					first[p.pid] = p.ticks
				}
			}
			last[p.pid] = p.ticks
		}
	}
	sample(true)
	done, finished := make(chan struct{}), make(chan time.Duration)
	go func() {
		t := time.NewTicker(50 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-done:
				sample(false)
				var ticks int64
				for pid, n := range last {
					ticks += n - first[pid]
				}
				finished <- time.Duration(ticks) * tick
				return
			case <-t.C:
				sample(false)
			}
		}
	}()
	return func() time.Duration {
		close(done)
		return <-finished
	}
}
