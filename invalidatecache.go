package partyfinder

// TrInvalidateCache is the trigger's name, as registered with the Functions Framework.
const TrInvalidateCache = "InvalidateCache"

// Raises the shared revision of the conferences the events topic's events
// changed, and prebuilds their snapshots.
func init() {
	registerTrigger(Trigger{Name: TrInvalidateCache, build: func(a *app) CloudEventHandler {
		return a.invalidator().Handle
	}})
}
