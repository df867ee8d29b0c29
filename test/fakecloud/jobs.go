package main

import "strings"

func (st *State) jobs(c call) {
	name := c.arg(3)
	if c.is("scheduler", "jobs", "create") || c.is("scheduler", "jobs", "update") {
		name = c.arg(4)
	}
	j := st.Jobs[name]
	switch {
	case c.is("scheduler", "jobs", "describe"):
		if j == nil {
			notFound("job " + name)
		}
		out(c, map[string]any{"name": name, "schedule": j.Schedule, "pubsubTarget": map[string]any{"topicName": j.Topic}})
	case c.is("scheduler", "jobs", "create", "pubsub"):
		if j != nil {
			exists("job " + name)
		}
		st.Jobs[name] = &Job{Schedule: c.flag("--schedule"), Topic: c.flag("--topic")}
	case c.is("scheduler", "jobs", "update", "pubsub"):
		if j == nil {
			notFound("job " + name)
		}
		j.Schedule, j.Topic = c.flag("--schedule"), c.flag("--topic")
	default:
		fail("the stand-in does not know this command: %s", strings.Join(c.pos, " "))
	}
}
