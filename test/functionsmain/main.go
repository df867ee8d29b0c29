// Command functionsmain serves the root package's functions the way Cloud
// Run does: it mirrors the main the Google Cloud Go buildpack generates
// for a Functions Framework deployment, which blank-imports the deployed
// package (whose init registers every function with functions.HTTP and
// functions.CloudEvent) and starts the framework on $PORT. The framework
// then serves the one function FUNCTION_TARGET names, at every path.
//
// scripts/build-function builds each function with it over that
// function's own source, as the buildpack does; built here, over the whole
// root package, it serves any function. LOCAL_ONLY=true listens on
// 127.0.0.1 only, as the framework's own samples do for local runs; the
// buildpack's main listens on every interface.
package main

import (
	"log"
	"os"

	"github.com/GoogleCloudPlatform/functions-framework-go/funcframework"

	_ "github.com/partyfinder/partyfinder" // registers the functions of its source in its init
)

func main() {
	port := "8080"
	if p := os.Getenv("PORT"); p != "" {
		port = p
	}
	hostname := ""
	if os.Getenv("LOCAL_ONLY") == "true" {
		hostname = "127.0.0.1"
	}
	if err := funcframework.StartHostPort(hostname, port); err != nil {
		log.Fatalf("funcframework.StartHostPort: %v\n", err)
	}
}
