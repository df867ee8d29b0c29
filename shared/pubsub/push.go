package pubsub

import (
	"context"
	"encoding/json"
	"time"

	"github.com/partyfinder/partyfinder/shared/apperr"
	"github.com/partyfinder/partyfinder/shared/event"
)

// MessagePublishedData is the data of a
// google.cloud.pubsub.topic.v1.messagePublished CloudEvent: what a
// Pub/Sub-triggered function receives, and the body of a push delivery.
type MessagePublishedData struct {
	Message struct {
		Data        []byte            `json:"data"` // base64 in JSON
		Attributes  map[string]string `json:"attributes"`
		MessageID   string            `json:"messageId"`
		PublishTime string            `json:"publishTime,omitempty"`
	} `json:"message"`
	Subscription string `json:"subscription"`
	// DeliveryAttempt counts deliveries of this message, the first being
	// 1, when the subscription has a dead-letter policy; else 0.
	DeliveryAttempt int `json:"deliveryAttempt,omitempty"`
}

// Delivery returns when a pushed message was published and its delivery
// attempt, from a messagePublished CloudEvent's data; zero values for what
// it does not say (or for data that is not a Pub/Sub message).
func Delivery(data []byte) (published time.Time, attempt int) {
	var msg struct {
		Message struct {
			PublishTime time.Time `json:"publishTime"`
		} `json:"message"`
		DeliveryAttempt int `json:"deliveryAttempt"`
	}
	if json.Unmarshal(data, &msg) != nil {
		return time.Time{}, 0
	}
	return msg.Message.PublishTime, msg.DeliveryAttempt
}

// DecodePushed decodes the domain event a messagePublished CloudEvent's
// data carries, and returns ctx with the publisher's trace context. An
// Invalid error means it can never be decoded.
func DecodePushed(ctx context.Context, data []byte) (context.Context, event.Event, error) {
	var msg MessagePublishedData
	if err := json.Unmarshal(data, &msg); err != nil {
		return ctx, nil, apperr.New(apperr.Invalid, "not a Pub/Sub message: %v", err)
	}
	return Decode(ctx, msg.Message.Data, msg.Message.Attributes)
}

// PushedData returns the messagePublished data Pub/Sub delivers for an
// event published with ctx: for tests, and for delivering in-process what
// would otherwise travel through a topic.
func PushedData(ctx context.Context, e event.Event, messageID, subscription string) ([]byte, error) {
	m, err := Encode(ctx, e)
	if err != nil {
		return nil, err
	}
	var d MessagePublishedData
	d.Message.Data, d.Message.Attributes, d.Message.MessageID = m.Data, m.Attributes, messageID
	d.Subscription = subscription
	return json.Marshal(d)
}

// MessageData returns the payload of a messagePublished CloudEvent's
// data as published: for messages no domain event is in, such as Cloud
// Scheduler's. An Invalid error means it can never be decoded.
func MessageData(data []byte) ([]byte, error) {
	var msg MessagePublishedData
	if err := json.Unmarshal(data, &msg); err != nil {
		return nil, apperr.New(apperr.Invalid, "not a Pub/Sub message: %v", err)
	}
	return msg.Message.Data, nil
}
