package events

// SetCaughtUpHook sets the hook a joining subscriber runs between its own
// catch-up and joining the feed; nil removes it.
func SetCaughtUpHook(f func()) { caughtUpHook = f }

// BellSteps runs a store's bell through rings as Ring does, without
// sending anything: each step is "start" (a ring arrives) or "finish" (a
// sent ring ends), and the result says, for each, whether the caller sends
// (start) or another ring must be sent (finish).
func BellSteps(steps ...string) []bool {
	b := &bell{}
	out := make([]bool, len(steps))
	for i, s := range steps {
		if s == "start" {
			out[i] = b.start()
		} else {
			out[i] = b.finish()
		}
	}
	return out
}
