package partyfinder

import (
	"net/http"

	"github.com/partyfinder/partyfinder/functions/openapi"
)

// FnOpenAPI is the function's name, as registered with the Functions Framework.
const FnOpenAPI = "openapi"

// The API's contract.
func init() {
	registerFunction(Function{Name: FnOpenAPI, Base: "/api/openapi.yaml", build: func(*app) http.Handler { return openapi.Routes() }})
}
