package partyfinder

import (
	"net/http"

	"github.com/partyfinder/partyfinder/functions/openapi"
)

// The API's contract.
func init() {
	registerFunction(Function{Name: FnOpenAPI, Base: "/api/openapi.yaml", build: func(*app) http.Handler { return openapi.Routes() }})
}
