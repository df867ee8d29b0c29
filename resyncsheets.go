package partyfinder

// Imports each conference's published sheet again, when Cloud Scheduler
// publishes to the schedule topic.
func init() {
	registerTrigger(Trigger{Name: TrResyncSheets, Scheduled: true, build: func(a *app) CloudEventHandler {
		return a.resync().Handle
	}})
}
