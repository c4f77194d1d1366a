package events

// SetCaughtUpHook sets the hook a joining subscriber runs between its own
// catch-up and joining the feed; nil removes it.
func SetCaughtUpHook(f func()) { caughtUpHook = f }
