package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"time"
	"unicode"

	gps "cloud.google.com/go/pubsub/v2"
	pb "cloud.google.com/go/pubsub/v2/apiv1/pubsubpb"
	cloudevent "github.com/cloudevents/sdk-go/v2/event"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/durationpb"

	partyfinder "github.com/partyfinder/partyfinder"
	"github.com/partyfinder/partyfinder/shared/apperr"
	"github.com/partyfinder/partyfinder/shared/httpapi"
)

// triggersPath is where the local run serves its CloudEvent functions to
// Pub/Sub push subscriptions: triggersPath + name.
const triggersPath = "/_triggers/"

// pushSubscription is a push subscription of the events topic that feeds
// one Pub/Sub trigger.
type pushSubscription struct {
	ID      string // the subscription id
	Trigger string // the trigger's name, served at triggersPath + Trigger
}

// pushSubscriptions derives a push subscription for every Pub/Sub trigger
// of the table (one that listens to no Firestore document): its id is the
// trigger's name in kebab case after "partyfinder-"
// (partyfinder-aggregate-analytics). On a topic other than the default the
// topic is appended, so two runs on one emulator with their own topics do
// not take each other's subscriptions.
func pushSubscriptions(triggers []partyfinder.Trigger, topic string) []pushSubscription {
	var subs []pushSubscription
	for _, t := range triggers {
		if len(t.Documents) > 0 || t.Scheduled {
			continue // the runner calls scheduled triggers on its own timer
		}
		id := "partyfinder-" + kebab(t.Name)
		if topic != defaultEventsTopic {
			id += "-" + topic
		}
		subs = append(subs, pushSubscription{ID: id, Trigger: t.Name})
	}
	return subs
}

// defaultEventsTopic is the events topic when PARTYFINDER_EVENTS_TOPIC is
// not set.
var defaultEventsTopic = func() string {
	c, _ := partyfinder.ConfigFromEnv(func(string) string { return "" })
	return c.EventsTopic
}()

// kebab spells a Go name in lowercase words joined by hyphens:
// AggregateAnalytics → aggregate-analytics, OnHTTPCall → on-http-call.
func kebab(name string) string {
	var b strings.Builder
	rs := []rune(name)
	for i, r := range rs {
		if unicode.IsUpper(r) && i > 0 {
			prev := rs[i-1]
			nextLower := i+1 < len(rs) && unicode.IsLower(rs[i+1])
			if unicode.IsLower(prev) || unicode.IsDigit(prev) || unicode.IsUpper(prev) && nextLower {
				b.WriteByte('-')
			}
		}
		b.WriteRune(unicode.ToLower(r))
	}
	return b.String()
}

// Push delivery of the local run, as close to the deployed functions' as
// the emulator allows: ordered per key, redelivered with backoff, and dead
// lettered after a bounded number of attempts.
const (
	pushMinBackoff  = time.Second
	pushMaxBackoff  = time.Minute
	pushMaxAttempts = 5
)

// setupPubSub prepares the Pub/Sub emulator for a local run with
// --events pubsub: the events topic, its dead-letter topic, and a push
// subscription per Pub/Sub trigger to this server's triggersPath
// (recreated, so it points at this run's port).
func setupPubSub(ctx context.Context, cfg partyfinder.Config, base string, out io.Writer) error {
	if os.Getenv("PUBSUB_EMULATOR_HOST") == "" {
		return fmt.Errorf("--events pubsub runs against the Pub/Sub emulator: set PUBSUB_EMULATOR_HOST (push subscriptions cannot reach this machine from the cloud)")
	}
	c, err := gps.NewClient(ctx, cfg.ProjectID)
	if err != nil {
		return fmt.Errorf("pubsub client: %w", err)
	}
	defer c.Close()
	name := func(kind, id string) string { return "projects/" + cfg.ProjectID + "/" + kind + "/" + id }
	topic, dead := name("topics", cfg.EventsTopic), name("topics", cfg.EventsTopic+"-dead")
	for _, t := range []string{topic, dead} {
		if _, err := c.TopicAdminClient.CreateTopic(ctx, &pb.Topic{Name: t}); err != nil && status.Code(err) != codes.AlreadyExists {
			return fmt.Errorf("create topic %s: %w", t, err)
		}
	}
	for _, sub := range pushSubscriptions(partyfinder.Triggers, cfg.EventsTopic) {
		full := name("subscriptions", sub.ID)
		_ = c.SubscriptionAdminClient.DeleteSubscription(ctx, &pb.DeleteSubscriptionRequest{Subscription: full})
		_, err := c.SubscriptionAdminClient.CreateSubscription(ctx, &pb.Subscription{
			Name: full, Topic: topic, AckDeadlineSeconds: 30,
			PushConfig:            &pb.PushConfig{PushEndpoint: base + triggersPath + sub.Trigger},
			EnableMessageOrdering: true,
			DeadLetterPolicy:      &pb.DeadLetterPolicy{DeadLetterTopic: dead, MaxDeliveryAttempts: pushMaxAttempts},
			RetryPolicy:           &pb.RetryPolicy{MinimumBackoff: durationpb.New(pushMinBackoff), MaximumBackoff: durationpb.New(pushMaxBackoff)},
		})
		if err != nil {
			return fmt.Errorf("create subscription %s: %w", sub.ID, err)
		}
		fmt.Fprintf(out, "events: %s pushes %s to %s%s%s\n", sub.ID, cfg.EventsTopic, base, triggersPath, sub.Trigger)
	}
	return nil
}

// pushHandler serves a trigger to a push subscription: the push body is
// the messagePublished data of the CloudEvent a deployed function gets.
// An error from the trigger is a 503, so Pub/Sub redelivers.
func pushHandler(a *partyfinder.App) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		name := strings.TrimPrefix(r.URL.Path, triggersPath)
		h := a.TriggerHandler(name)
		if h == nil || r.Method != http.MethodPost {
			httpapi.Error(w, r, apperr.New(apperr.NotFound, "no trigger %q", name))
			return
		}
		body, err := io.ReadAll(io.LimitReader(r.Body, 10<<20))
		if err != nil {
			httpapi.Error(w, r, apperr.New(apperr.Invalid, "unreadable push body"))
			return
		}
		ce := cloudevent.New()
		ce.SetID(r.Header.Get("X-Goog-Pubsub-Message-Id"))
		ce.SetType("google.cloud.pubsub.topic.v1.messagePublished")
		ce.SetSource("//pubsub.googleapis.com/" + r.Header.Get("X-Goog-Pubsub-Subscription-Name"))
		if err := ce.SetData("application/json", body); err != nil {
			httpapi.Error(w, r, apperr.New(apperr.Invalid, "push body: %v", err))
			return
		}
		if err := h(r.Context(), ce); err != nil {
			httpapi.LogError(r, "trigger failed; Pub/Sub will redeliver", err, "trigger", name)
			w.WriteHeader(http.StatusServiceUnavailable)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	}
}
