package cost

import "stockgraph/internal/api/jsonscan"

// Actual is what an operation cost once it ran: one point per object field
// in its response's data (each ':' outside a JSON string), and at least 1,
// since even an answer with no data was an answer. It counts the same
// fields the requested cost prices (every field 1, lists per element
// returned instead of per element allowed), so a page shorter than asked,
// a null object or a refused operation costs less than its price. data
// need not be valid JSON: Actual counts, it never fails.
func Actual(data []byte) int64 {
	var n int64
	jsonscan.Structural(data, func(c byte) {
		if c == ':' {
			n++
		}
	})
	return max(n, 1)
}
