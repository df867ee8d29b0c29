package pubsub

import (
	"context"
	"errors"
	"fmt"

	gps "cloud.google.com/go/pubsub/v2"

	"github.com/partyfinder/partyfinder/shared/event"
)

// Publisher publishes domain events to one topic, in order per ordering
// key.
type Publisher struct {
	pub *gps.Publisher
}

var _ event.Publisher = (*Publisher)(nil)

// NewPublisher returns a publisher to the topic (an id or a full name).
func NewPublisher(c *gps.Client, topic string) *Publisher {
	pub := c.Publisher(topic)
	pub.EnableMessageOrdering = true
	return &Publisher{pub: pub}
}

// Publish sends the events and waits until Pub/Sub has them all. After a
// failure on an ordering key the key is resumed, so the caller's retry
// can go through; messages already sent are not taken back, and
// subscribers dedupe by event id.
func (p *Publisher) Publish(ctx context.Context, events ...event.Event) error {
	results := make([]*gps.PublishResult, 0, len(events))
	keys := make([]string, 0, len(events))
	var errs []error
	for _, e := range events {
		msg, err := Encode(ctx, e)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		results = append(results, p.pub.Publish(ctx, msg))
		keys = append(keys, msg.OrderingKey)
	}
	for i, r := range results {
		if _, err := r.Get(ctx); err != nil {
			p.pub.ResumePublish(keys[i])
			errs = append(errs, fmt.Errorf("publish: %w", err))
		}
	}
	return errors.Join(errs...)
}

// Stop sends what is buffered and stops the publisher.
func (p *Publisher) Stop() { p.pub.Stop() }
