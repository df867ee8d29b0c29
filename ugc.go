package partyfinder

import (
	"net/http"

	"github.com/partyfinder/partyfinder/functions/ugc"
)

// FnUGC is the function's name, as registered with the Functions Framework.
const FnUGC = "ugc"

// The older submission form.
func init() {
	registerFunction(Function{Name: FnUGC, Base: "/api/ugc", build: func(a *app) http.Handler {
		return (&ugc.Handler{Feed: a.feed(), Organizers: a.organizersOnDemand(), WriteAuth: a.writeAuth()}).Routes()
	}})
}
