package firestore

import (
	"encoding/json"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	gfs "cloud.google.com/go/firestore"
)

// indexFile is the part of firestore.indexes.json (the Firebase CLI format)
// that decides which queries are served.
type indexFile struct {
	Indexes []struct {
		CollectionGroup string `json:"collectionGroup"`
		QueryScope      string `json:"queryScope,omitempty"`
		Fields          []struct {
			FieldPath   string `json:"fieldPath"`
			Order       string `json:"order"`
			ArrayConfig string `json:"arrayConfig,omitempty"`
		} `json:"fields"`
	} `json:"indexes"`
}

func readIndexes(t *testing.T) indexFile {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			break
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("repository root (go.mod) not found")
		}
		dir = parent
	}
	b, err := os.ReadFile(filepath.Join(dir, "firestore.indexes.json"))
	if err != nil {
		t.Fatalf("the Firestore adapter's queries need firestore.indexes.json at the repository root: %v", err)
	}
	var f indexFile
	dec := json.NewDecoder(strings.NewReader(string(b)))
	if err := dec.Decode(&f); err != nil {
		t.Fatalf("firestore.indexes.json: %v", err)
	}
	return f
}

// sortedFields are the fields a query scans in order after its equality
// filters: its sort keys (except the document id, implicit in every index)
// and the fields it sums.
func (q queryShape) sortedFields() []order {
	var out []order
	for _, o := range q.order {
		if o.field != gfs.DocumentID && !slices.Contains(q.equal, o.field) {
			out = append(out, o)
		}
	}
	for _, f := range q.sum {
		out = append(out, order{f, gfs.Asc})
	}
	return out
}

// needsComposite reports whether Firestore's automatic single-field
// indexes cannot serve the query: equality filters alone are merged from
// single-field indexes, and one sort key alone is a single-field index, but
// equality filters plus a sort (or sum) on another field, or two sort keys,
// need a composite index.
func (q queryShape) needsComposite() bool {
	sorted := q.sortedFields()
	if len(sorted) == 0 {
		return false
	}
	return len(q.equal) > 0 || len(sorted) > 1
}

func dirName(d gfs.Direction) string {
	if d == gfs.Desc {
		return "DESCENDING"
	}
	return "ASCENDING"
}

// describe renders the index a shape needs, for error messages.
func (q queryShape) describe() string {
	var parts []string
	for _, f := range q.equal {
		parts = append(parts, fmt.Sprintf(`{"fieldPath": %q, "order": "ASCENDING"}`, f))
	}
	for _, o := range q.sortedFields() {
		parts = append(parts, fmt.Sprintf(`{"fieldPath": %q, "order": %q}`, o.field, dirName(o.dir)))
	}
	return fmt.Sprintf(`{"collectionGroup": %q, "queryScope": "COLLECTION", "fields": [%s]}`, q.collection, strings.Join(parts, ", "))
}

// serves reports whether index i of f serves the query: equality fields
// first (in any order), then the sorted fields in order and direction, then
// optionally the document id in the direction of the query's tie-break.
func serves(f indexFile, i int, q queryShape) bool {
	idx := f.Indexes[i]
	if idx.CollectionGroup != q.collection || (idx.QueryScope != "" && idx.QueryScope != "COLLECTION") {
		return false
	}
	fields := idx.Fields
	nameDir := "ASCENDING"
	for _, o := range q.order {
		if o.field == gfs.DocumentID {
			nameDir = dirName(o.dir)
		}
	}
	if n := len(fields); n > 0 && fields[n-1].FieldPath == gfs.DocumentID {
		if fields[n-1].Order != nameDir {
			return false
		}
		fields = fields[:n-1]
	}
	sorted := q.sortedFields()
	if len(fields) != len(q.equal)+len(sorted) {
		return false
	}
	var eq []string
	for _, fld := range fields[:len(q.equal)] {
		if fld.ArrayConfig != "" {
			return false
		}
		eq = append(eq, fld.FieldPath)
	}
	if !slices.Equal(slices.Sorted(slices.Values(eq)), slices.Sorted(slices.Values(q.equal))) {
		return false
	}
	for j, o := range sorted {
		fld := fields[len(q.equal)+j]
		if fld.FieldPath != o.field || fld.Order != dirName(o.dir) {
			return false
		}
	}
	return true
}

// Every query that needs a composite index has one in
// firestore.indexes.json, and every declared index serves some query.
// Without this, a new query works on the emulator (which needs no indexes)
// and fails in production with FAILED_PRECONDITION.
func TestQueriesHaveIndexes(t *testing.T) {
	f := readIndexes(t)
	used := make([]bool, len(f.Indexes))
	for _, q := range queryShapes {
		found := false
		for i := range f.Indexes {
			if serves(f, i, q) {
				used[i], found = true, true
			}
		}
		if q.needsComposite() && !found {
			t.Errorf("query %s needs a composite index; add to firestore.indexes.json:\n%s", q.name, q.describe())
		}
	}
	for i, u := range used {
		if !u {
			b, _ := json.Marshal(f.Indexes[i])
			t.Errorf("firestore.indexes.json declares an index no query uses (it slows every write): %s", b)
		}
	}
}

// The index rules above must tell served from unserved queries, or the
// test above proves nothing.
func TestIndexRules(t *testing.T) {
	var f indexFile
	if err := json.Unmarshal([]byte(`{"indexes": [
		{"collectionGroup": "parties", "queryScope": "COLLECTION", "fields": [
			{"fieldPath": "conferenceId", "order": "ASCENDING"}, {"fieldPath": "start", "order": "ASCENDING"}]},
		{"collectionGroup": "parties", "queryScope": "COLLECTION", "fields": [
			{"fieldPath": "status", "order": "ASCENDING"}, {"fieldPath": "conferenceId", "order": "ASCENDING"},
			{"fieldPath": "start", "order": "DESCENDING"}, {"fieldPath": "__name__", "order": "DESCENDING"}]}
	]}`), &f); err != nil {
		t.Fatal(err)
	}
	byStart := queryShape{collection: "parties", equal: []string{"conferenceId"}, order: []order{{"start", gfs.Asc}, {gfs.DocumentID, gfs.Asc}}}
	tests := []struct {
		name      string
		q         queryShape
		composite bool
		served    bool
	}{
		{"equality and sort", byStart, true, true},
		{"sort descending instead", queryShape{collection: "parties", equal: []string{"conferenceId"}, order: []order{{"start", gfs.Desc}}}, true, false},
		{"two equalities, sort desc, id desc", queryShape{collection: "parties", equal: []string{"conferenceId", "status"},
			order: []order{{"start", gfs.Desc}, {gfs.DocumentID, gfs.Desc}}}, true, true},
		{"other collection", queryShape{collection: "swipes", equal: []string{"conferenceId"}, order: []order{{"start", gfs.Asc}}}, true, false},
		{"sum with equality", queryShape{collection: "parties", equal: []string{"conferenceId"}, sum: []string{"version"}}, true, false},
		{"equalities only", queryShape{collection: "parties", equal: []string{"conferenceId", "status"}}, false, false},
		{"one sort key", queryShape{collection: "parties", order: []order{{"start", gfs.Asc}, {gfs.DocumentID, gfs.Asc}}}, false, false},
		{"sort on the equality field", queryShape{collection: "parties", equal: []string{"start"}, order: []order{{"start", gfs.Asc}}}, false, false},
		{"two sort keys", queryShape{collection: "parties", order: []order{{"start", gfs.Asc}, {"title", gfs.Asc}}}, true, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.q.needsComposite(); got != tc.composite {
				t.Errorf("needsComposite = %v, want %v", got, tc.composite)
			}
			served := serves(f, 0, tc.q) || serves(f, 1, tc.q)
			if served != tc.served {
				t.Errorf("served = %v, want %v", served, tc.served)
			}
		})
	}
}

// Every field a query names is a field of the collection's documents: a
// misspelt field matches nothing, silently.
func TestQueriedFieldsExist(t *testing.T) {
	docs := map[string]reflect.Type{
		partiesCollection:      reflect.TypeFor[partyDoc](),
		conferencesCollection:  reflect.TypeFor[conferenceDoc](),
		partyStatsCollection:   reflect.TypeFor[statDoc](),
		daysCollection:         reflect.TypeFor[dayDoc](),
		auditCollection:        reflect.TypeFor[auditDoc](),
		partyChangesCollection: reflect.TypeFor[changeDoc](),
		sharesCollection:       reflect.TypeFor[shareDoc](),
	}
	for _, q := range queryShapes {
		typ, ok := docs[q.collection]
		if !ok {
			t.Errorf("query %s: unknown collection %q", q.name, q.collection)
			continue
		}
		fields := slices.Clone(q.equal)
		for _, o := range q.order {
			fields = append(fields, o.field)
		}
		fields = append(fields, q.sum...)
		for _, name := range fields {
			if name == gfs.DocumentID {
				continue
			}
			found := false
			for i := range typ.NumField() {
				if tag, _, _ := strings.Cut(typ.Field(i).Tag.Get("firestore"), ","); tag == name {
					found = true
				}
			}
			if !found {
				t.Errorf("query %s names field %q, which %s does not have", q.name, name, typ.Name())
			}
		}
	}
}

// queryMethods are the client calls that shape a query's index needs.
var queryMethods = map[string]bool{
	"Where": true, "WherePath": true, "WhereEntity": true, "OrderBy": true, "OrderByPath": true,
	"WithSum": true, "WithSumPath": true, "WithAvg": true, "WithAvgPath": true,
	"FindNearest": true, "FindNearestPath": true,
}

// Queries are built only from queryShapes (in query, ranged and aggregate), so the
// index check above sees every query the store runs.
func TestQueriesAreBuiltFromShapes(t *testing.T) {
	fset := token.NewFileSet()
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	checked := 0
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		file, err := parser.ParseFile(fset, name, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		for _, decl := range file.Decls {
			fn, ok := decl.(*ast.FuncDecl)
			if !ok {
				continue
			}
			builder := name == "queries.go" && (fn.Name.Name == "query" || fn.Name.Name == "aggregate" || fn.Name.Name == "ranged")
			ast.Inspect(fn, func(n ast.Node) bool {
				call, ok := n.(*ast.CallExpr)
				if !ok {
					return true
				}
				sel, ok := call.Fun.(*ast.SelectorExpr)
				if ok && queryMethods[sel.Sel.Name] {
					checked++
					if !builder {
						t.Errorf("%s: %s.%s builds a query outside queryShapes; declare its shape in queries.go",
							fset.Position(call.Pos()), fn.Name.Name, sel.Sel.Name)
					}
				}
				return true
			})
		}
	}
	if checked == 0 {
		t.Fatal("found no query-building calls at all; the check no longer looks at the right code")
	}
}
