package telemetry

import (
	"context"
	"testing"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/sdk/resource"
)

// cloudRun stands in for the GCP detector, which reads the metadata
// server only Cloud Run has: what it finds there, under the newer schema
// URL its semantic conventions use.
type cloudRun struct{}

func (cloudRun) Detect(context.Context) (*resource.Resource, error) {
	return resource.NewWithAttributes("https://opentelemetry.io/schemas/1.43.0",
		attribute.String("faas.instance", "00f1d2c3"), attribute.String("faas.name", "parties"),
		attribute.String("cloud.region", "europe-west1"), attribute.String("service.name", "parties")), nil
}

// Every instance exports series of its own: the detector's attributes
// survive the merge with ours, and ours win where both name a key.
func TestResourceKeepsTheInstancesIdentity(t *testing.T) {
	res, err := describe(t.Context(), Service{Name: "partyfinder-parties", Version: "r7", Project: "pf-prod"}, cloudRun{})
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, kv := range res.Attributes() {
		got[string(kv.Key)] = kv.Value.Emit()
	}
	for k, want := range map[string]string{
		"faas.instance": "00f1d2c3", "faas.name": "parties", "cloud.region": "europe-west1",
		"service.name": "partyfinder-parties", "service.version": "r7", "gcp.project_id": "pf-prod",
	} {
		if got[k] != want {
			t.Errorf("%s = %q, want %q (all: %v)", k, got[k], want, got)
		}
	}
}
