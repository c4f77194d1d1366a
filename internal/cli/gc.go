package cli

import (
	"os"
	"runtime/debug"
	"strconv"
)

// defaultGCPercent is serve's GOGC when the environment sets none. Go's
// default of 100 collects each time the heap doubles; a dashboard read
// allocates about 45 MB to answer 775 KB, so at 100 the collector ran
// after every few reads and took a fifth of the server's CPU. At 200 the
// same reads cost 25–30% less CPU (BenchmarkDashboardRead) while the live
// heap stays as it was; the heap may grow to three times the live data
// between collections, which GOMEMLIMIT caps when it is set.
const defaultGCPercent = 200

// tuneGC sets GOGC to defaultGCPercent unless the environment chose one,
// and says what it chose.
func tuneGC() (percent string) {
	if v := os.Getenv("GOGC"); v != "" {
		return v
	}
	debug.SetGCPercent(defaultGCPercent)
	return strconv.Itoa(defaultGCPercent)
}
