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
		h := &admin.Handler{Feed: a.feed(), Parties: a.Store, Conferences: conferencesOnDemand{a}, Audit: a.Store,
			Import: importerOnDemand{a}, Fetch: a.sheetFetcher(),
			SLO: func() any { return a.slo.Report(time.Now()) }}
		return a.signedIn(h.Routes())
	}})
}

// conferencesOnDemand builds the conference use cases on their first use.
type conferencesOnDemand struct{ a *app }

func (o conferencesOnDemand) uc() *command.Conferences {
	o.a.mu.Lock()
	defer o.a.mu.Unlock()
	return o.a.conferences()
}

func (o conferencesOnDemand) Create(ctx context.Context, who identity.Identity, c conference.Conference, retry bool) (conference.Conference, bool, error) {
	return o.uc().Create(ctx, who, c, retry)
}

func (o conferencesOnDemand) Update(ctx context.Context, who identity.Identity, id string, fn func(*conference.Conference) error) (conference.Conference, error) {
	return o.uc().Update(ctx, who, id, fn)
}

// importerOnDemand builds the import use case on its first use.
type importerOnDemand struct{ a *app }

func (o importerOnDemand) Run(ctx context.Context, req importer.Request) (importer.Report, error) {
	o.a.mu.Lock()
	im := o.a.importer()
	o.a.mu.Unlock()
	return im.Run(ctx, req)
}
