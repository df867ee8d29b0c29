package partyfinder

// TrResyncSheets is the trigger's name, as registered with the Functions Framework.
const TrResyncSheets = "ResyncSheets"

// Imports each conference's published sheet again, when Cloud Scheduler
// publishes to the schedule topic.
func init() {
	registerTrigger(Trigger{Name: TrResyncSheets, Scheduled: true, build: func(a *app) CloudEventHandler {
		return a.resync().Handle
	}})
}
