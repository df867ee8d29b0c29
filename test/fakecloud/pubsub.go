package main

import (
	"strconv"
	"strings"
)

func subName(st *State, s string) string {
	if strings.HasPrefix(s, "projects/") {
		return s
	}
	return "projects/" + st.Project + "/subscriptions/" + s
}

func topicName(st *State, s string) string {
	if strings.HasPrefix(s, "projects/") {
		return s
	}
	return "projects/" + st.Project + "/topics/" + s
}

func (st *State) pubsub(c call) {
	switch {
	case c.is("pubsub", "topics", "describe"):
		if !st.Topics[topicName(st, c.arg(3))] {
			notFound("topic " + c.arg(3))
		}
		out(c, map[string]any{"name": topicName(st, c.arg(3))})
	case c.is("pubsub", "topics", "create"):
		for _, t := range c.pos[3:] {
			if st.Topics[topicName(st, t)] {
				exists("topic " + t)
			}
			st.Topics[topicName(st, t)] = true
		}
	case c.is("pubsub", "topics", "get-iam-policy"), c.is("pubsub", "topics", "add-iam-policy-binding"):
		t := topicName(st, c.arg(3))
		if !st.Topics[t] {
			notFound("topic " + c.arg(3))
		}
		if c.pos[2] == "get-iam-policy" {
			out(c, st.policyDoc("topics/"+t)...)
		} else {
			st.bind("topics/"+t, c)
		}
	case c.is("pubsub", "subscriptions", "describe"):
		s := st.Subscriptions[subName(st, c.arg(3))]
		if s == nil {
			notFound("subscription " + c.arg(3))
		}
		doc := map[string]any{"name": subName(st, c.arg(3)), "topic": s.Topic}
		if s.DeadLetter != "" {
			doc["deadLetterPolicy"] = map[string]any{"deadLetterTopic": s.DeadLetter, "maxDeliveryAttempts": s.MaxAttempts}
		}
		if s.MinBackoff != "" {
			doc["retryPolicy"] = map[string]any{"minimumBackoff": s.MinBackoff, "maximumBackoff": s.MaxBackoff}
		}
		out(c, doc)
	case c.is("pubsub", "subscriptions", "create"):
		name := subName(st, c.arg(3))
		if st.Subscriptions[name] != nil {
			exists("subscription " + c.arg(3))
		}
		if !st.Topics[topicName(st, c.flag("--topic"))] {
			notFound("topic " + c.flag("--topic"))
		}
		st.Subscriptions[name] = &Subscription{Topic: topicName(st, c.flag("--topic"))}
	case c.is("pubsub", "subscriptions", "update"):
		s := st.Subscriptions[subName(st, c.arg(3))]
		if s == nil {
			notFound("subscription " + c.arg(3))
		}
		if d := c.flag("--dead-letter-topic"); d != "" {
			if !st.Topics[topicName(st, d)] {
				notFound("dead-letter topic " + d)
			}
			s.DeadLetter = topicName(st, d)
			s.MaxAttempts, _ = strconv.Atoi(c.flag("--max-delivery-attempts"))
		}
		if c.has("--min-retry-delay") {
			s.MinBackoff, s.MaxBackoff = c.flag("--min-retry-delay"), c.flag("--max-retry-delay")
		}
	case c.is("pubsub", "subscriptions", "get-iam-policy"), c.is("pubsub", "subscriptions", "add-iam-policy-binding"):
		name := subName(st, c.arg(3))
		if st.Subscriptions[name] == nil {
			notFound("subscription " + c.arg(3))
		}
		if c.pos[2] == "get-iam-policy" {
			out(c, st.policyDoc("subscriptions/"+name)...)
		} else {
			st.bind("subscriptions/"+name, c)
		}
	default:
		fail("the stand-in does not know this command: %s", strings.Join(c.pos, " "))
	}
}
