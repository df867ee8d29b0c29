package partyfinder

import (
	"context"
	"net/http"
	"time"

	"github.com/partyfinder/partyfinder/functions/admin"
	"github.com/partyfinder/partyfinder/shared/command"
	"github.com/partyfinder/partyfinder/shared/conference"
	"github.com/partyfinder/partyfinder/shared/identity"
	"github.com/partyfinder/partyfinder/shared/importer"
)

// FnAdmin is the function's name, as registered with the Functions Framework.
const FnAdmin = "admin"

// Admins' and moderators' work: conferences, imports, moderation, the
// audit trail, the service levels.
func init() {
	registerFunction(Function{Name: FnAdmin, Base: "/api/admin", MaxBody: ImportMaxBody, Timeout: ImportTimeout, build: func(a *app) http.Handler {
		// The write parts are built on the first write.
		h := &admin.Handler{Feed: a.feed(), Parties: a.Store, Conferences: a.conferencesOnDemand(), Audit: a.Store,
			Import: a.importerOnDemand(), Fetch: a.sheetFetcher(),
			SLO: func() any { return a.slo.Report(time.Now()) }}
		return a.signedIn(h.Routes())
	}})
}

// conferencesOnDemand builds the conference use cases on their first
// use; a function for organizersOnDemand's reason.
type conferencesOnDemand func() *command.Conferences

func (a *app) conferencesOnDemand() conferencesOnDemand {
	return func() *command.Conferences {
		a.mu.Lock()
		defer a.mu.Unlock()
		return a.conferences()
	}
}

func (o conferencesOnDemand) Create(ctx context.Context, who identity.Identity, c conference.Conference, retry bool) (conference.Conference, bool, error) {
	return o().Create(ctx, who, c, retry)
}

func (o conferencesOnDemand) Update(ctx context.Context, who identity.Identity, id string, fn func(*conference.Conference) error) (conference.Conference, error) {
	return o().Update(ctx, who, id, fn)
}

// importerOnDemand builds the import use case on its first use; a
// function for organizersOnDemand's reason.
type importerOnDemand func() *importer.Importer

func (a *app) importerOnDemand() importerOnDemand {
	return func() *importer.Importer {
		a.mu.Lock()
		defer a.mu.Unlock()
		return a.importer()
	}
}

func (o importerOnDemand) Run(ctx context.Context, req importer.Request) (importer.Report, error) {
	return o().Run(ctx, req)
}
