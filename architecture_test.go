package partyfinder

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
)

const module = "github.com/partyfinder/partyfinder"

// The layers, innermost first. A package not named here is an adapter
// (named after its technology) or a cross-cutting HTTP piece.
var (
	// domain packages hold the model, its rules and its events: the
	// standard library and each other only (x/text for Unicode folding).
	domain = []string{"shared/apperr", "shared/fold", "shared/identity", "shared/event",
		"shared/conference", "shared/party", "shared/audit", "shared/attendee", "shared/schedule", "shared/analytics"}
	// use cases change data through the domain's repository interfaces.
	useCases = []string{"shared/command", "shared/importer"}
	// read models render what is read; they know nothing of the HTTP edge.
	readModels = []string{"shared/feed", "shared/personal", "shared/rendered", "shared/ics", "shared/frab"}
	// adapters implement the domain's ports with one technology each.
	adapters = []string{"shared/sqlite", "shared/firestore", "shared/firebaseauth", "shared/devauth",
		"shared/inproc", "shared/telemetry", "shared/pubsub", "shared/redis", "shared/fetch", "shared/prometheus"}
	// edge packages are the cross-cutting pieces the functions and the
	// wiring share: the HTTP edge, the erasure gate in front of it, the
	// Hosting rewrites, the events' wire format.
	edge = []string{"shared/httpapi", "shared/erasure", "shared/hosting", "shared/eventwire"}
	// seeds are the demo conference and the real data importer the runner
	// and the tests start from.
	seeds = []string{"shared/demo", "shared/demo/realdata"}
)

// testSupport reports whether a package exists for tests only: the
// contract suites (partytest, attendeetest, …) and the test environment.
func testSupport(p string) bool {
	return strings.HasSuffix(p, "test") || p == "shared/testenv"
}

type pkg struct {
	ImportPath string
	Imports    []string
	Deps       []string
}

// packages lists the module's packages (tests excluded) with their direct
// and transitive imports, module-relative.
func packages(t *testing.T) map[string]pkg {
	t.Helper()
	out, err := exec.Command("go", "list", "-e", "-json=ImportPath,Imports,Deps", "./...").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	rel := func(p string) string {
		if p == module {
			return "."
		}
		return strings.TrimPrefix(p, module+"/")
	}
	pkgs := map[string]pkg{}
	dec := json.NewDecoder(bytes.NewReader(out))
	for {
		var p pkg
		if err := dec.Decode(&p); errors.Is(err, io.EOF) {
			break
		} else if err != nil {
			t.Fatal(err)
		}
		p.ImportPath = rel(p.ImportPath)
		for i := range p.Imports {
			p.Imports[i] = rel(p.Imports[i])
		}
		for i := range p.Deps {
			p.Deps[i] = rel(p.Deps[i])
		}
		pkgs[p.ImportPath] = p
	}
	if len(pkgs) < 20 {
		t.Fatalf("go list found %d packages; expected the whole module", len(pkgs))
	}
	return pkgs
}

func stdlib(p string) bool { return !strings.Contains(strings.Split(p, "/")[0], ".") }

func ours(p string) bool {
	return p == "." || strings.HasPrefix(p, "shared/") || strings.HasPrefix(p, "functions/") ||
		strings.HasPrefix(p, "triggers/") || strings.HasPrefix(p, "scripts/") || strings.HasPrefix(p, "test")
}

func under(p string, prefixes ...string) bool {
	for _, pre := range prefixes {
		if p == pre || strings.HasPrefix(p, pre+"/") {
			return true
		}
	}
	return false
}

// TestDependencyDirection keeps the layers pointing inwards: functions and
// triggers → use cases → domain ← adapters, with the wiring in this root
// package above all of them. A wrong import fails here, not in review.
func TestDependencyDirection(t *testing.T) {
	pkgs := packages(t)
	for _, name := range slices.Concat(domain, useCases, readModels, adapters, edge, seeds) {
		if _, ok := pkgs[name]; !ok {
			t.Errorf("%s is named in a layer but does not exist: update the lists", name)
		}
	}
	for name := range pkgs {
		if strings.HasPrefix(name, "shared/") && !testSupport(name) &&
			!slices.Contains(slices.Concat(domain, useCases, readModels, adapters, edge, seeds), name) {
			t.Errorf("%s is in no layer: name it in one of the lists above, so its imports are checked", name)
		}
	}
	for name, p := range pkgs {
		for _, imp := range p.Imports {
			if testSupport(imp) && !testSupport(name) && !under(name, "scripts") {
				t.Errorf("%s imports %s, which exists for tests only", name, imp)
			}
		}
		for _, dep := range p.Deps {
			switch {
			case slices.Contains(domain, name) && (dep == "net/http" || !stdlib(dep) && !slices.Contains(domain, dep) && !strings.HasPrefix(dep, "golang.org/x/text/")):
				t.Errorf("domain package %s depends on %s: the domain imports only the standard library and itself", name, dep)
			case slices.Contains(useCases, name) && ours(dep) && !slices.Contains(domain, dep):
				t.Errorf("use case package %s depends on %s: use cases import only the domain", name, dep)
			case slices.Contains(useCases, name) && (dep == "net/http" || !stdlib(dep) && !strings.HasPrefix(dep, "golang.org/x/text/")):
				t.Errorf("use case package %s depends on %s: no HTTP, no infrastructure", name, dep)
			case slices.Contains(readModels, name) && (slices.Contains(adapters, dep) || dep == "shared/httpapi" || slices.Contains(useCases, dep)):
				t.Errorf("read model %s depends on %s: read models know no adapter, use case or HTTP edge", name, dep)
			case slices.Contains(readModels, name) && (strings.Contains(dep, "validator") || strings.Contains(dep, "grpc") || strings.Contains(dep, "exporters/") || strings.Contains(dep, "cloud.google.com")):
				t.Errorf("read model %s depends on %s", name, dep)
			}
		}
		for _, imp := range p.Imports {
			switch {
			case strings.HasPrefix(name, "shared/") && (under(imp, "functions", "triggers", "scripts") || imp == "."):
				t.Errorf("%s imports %s: shared/ sits below the functions, triggers and wiring", name, imp)
			case under(name, "functions") && under(imp, "functions") && topOf(imp) != topOf(name):
				t.Errorf("function package %s imports function package %s: share through shared/ instead", name, imp)
			case under(name, "triggers") && under(imp, "triggers") && topOf(imp) != topOf(name):
				t.Errorf("trigger package %s imports trigger package %s: share through shared/ instead", name, imp)
			case under(name, "functions") && under(imp, "triggers"), under(name, "triggers") && under(imp, "functions"):
				t.Errorf("%s imports %s: functions and triggers share through shared/, never each other", name, imp)
			case under(name, "functions", "triggers") && slices.Contains(adapters, imp):
				t.Errorf("%s imports the adapter %s: handlers take interfaces; the wiring picks the adapter", name, imp)
			case slices.Contains(adapters, name) && slices.Contains(adapters, imp):
				t.Errorf("adapter %s imports adapter %s: adapters do not know each other", name, imp)
			}
		}
	}
}

// topOf returns the function or trigger a package belongs to, e.g.
// functions/me for functions/me/internal.
func topOf(p string) string {
	parts := strings.SplitN(p, "/", 3)
	if len(parts) < 2 {
		return p
	}
	return parts[0] + "/" + parts[1]
}

// Each function's wiring is in a root file named after it, registering
// it alone: scripts/build-function stages a function's build with its own
// file and none of the others', so a registration elsewhere would either
// be missing from its build or drag another function into every build.
func TestEachRegistrationHasItsOwnFile(t *testing.T) {
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	registration := regexp.MustCompile(`(?m)^\s*register(?:Function|Trigger)\((?:Function|Trigger)\{Name: *(\w+)`)
	named := map[string]string{} // file by registered name
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		src, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		regs := registration.FindAllSubmatch(src, -1)
		if len(regs) > 1 {
			t.Errorf("%s registers %d functions; one file registers one", f, len(regs))
		}
		for _, m := range regs {
			c := string(m[1])
			v := regexp.MustCompile(`(?m)^const ` + c + ` = "([^"]+)"$`).FindSubmatch(src)
			if v == nil {
				t.Errorf("%s registers %s, declared elsewhere: declare the name beside its registration", f, c)
				continue
			}
			named[string(v[1])] = f
		}
	}
	var names []string
	for _, fn := range Functions {
		names = append(names, fn.Name)
	}
	for _, tr := range Triggers {
		names = append(names, tr.Name)
	}
	for _, name := range names {
		if want := strings.ToLower(name) + ".go"; named[name] != want {
			t.Errorf("%s is registered in %q, want %s", name, named[name], want)
		}
	}
	if len(named) != len(names) {
		t.Errorf("the files register %d names, the package %d", len(named), len(names))
	}
}
