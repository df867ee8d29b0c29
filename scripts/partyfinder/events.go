package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"

	gps "cloud.google.com/go/pubsub/v2"
	pb "cloud.google.com/go/pubsub/v2/apiv1/pubsubpb"
	cloudevent "github.com/cloudevents/sdk-go/v2/event"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	partyfinder "github.com/partyfinder/partyfinder"
	"github.com/partyfinder/partyfinder/shared/apperr"
	"github.com/partyfinder/partyfinder/shared/httpapi"
)

// triggersPath is where the local run serves its CloudEvent functions to
// Pub/Sub push subscriptions: triggersPath + name.
const triggersPath = "/_triggers/"

// pushSubscriptions lists which trigger each push subscription feeds.
var pushSubscriptions = map[string]string{
	"partyfinder-aggregate-analytics": partyfinder.TrAggregateAnalytics,
}

// setupPubSub prepares the Pub/Sub emulator for a local run with
// --events pubsub: the events topic, its dead-letter topic, and a push
// subscription per trigger to this server's triggersPath (recreated, so
// it points at this run's port).
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
	for sub, trigger := range pushSubscriptions {
		full := name("subscriptions", sub)
		_ = c.SubscriptionAdminClient.DeleteSubscription(ctx, &pb.DeleteSubscriptionRequest{Subscription: full})
		_, err := c.SubscriptionAdminClient.CreateSubscription(ctx, &pb.Subscription{
			Name: full, Topic: topic, AckDeadlineSeconds: 30,
			PushConfig:       &pb.PushConfig{PushEndpoint: base + triggersPath + trigger},
			DeadLetterPolicy: &pb.DeadLetterPolicy{DeadLetterTopic: dead, MaxDeliveryAttempts: 5},
		})
		if err != nil {
			return fmt.Errorf("create subscription %s: %w", sub, err)
		}
		fmt.Fprintf(out, "events: %s pushes to %s%s%s\n", sub, base, triggersPath, trigger)
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
