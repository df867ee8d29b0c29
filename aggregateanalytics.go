package partyfinder

import (
	"github.com/partyfinder/partyfinder/shared/command"
	"github.com/partyfinder/partyfinder/shared/pubsub"
	"github.com/partyfinder/partyfinder/triggers/aggregateanalytics"
)

// TrAggregateAnalytics is the trigger's name, as registered with the Functions Framework.
const TrAggregateAnalytics = "AggregateAnalytics"

// Counts the events topic's events: per-party stats, hotspots, trending.
func init() {
	registerTrigger(Trigger{Name: TrAggregateAnalytics, build: func(a *app) CloudEventHandler {
		h := &aggregateanalytics.Handler{Analytics: &command.Analytics{Store: a.Store}, Decode: pubsub.DecodePushed}
		a.builtPart("analytics handler")
		return h.Handle
	}})
}
