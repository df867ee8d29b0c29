package blackbox_test

import (
	"bytes"
	"net/http"
	"net/url"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// publicPaths are GET URLs a browser or calendar app fetches; each is
// cacheable and revalidates with ETags.
func publicPaths(t *testing.T) []string {
	all, _ := everything(t, shared)
	p := all[0]
	return []string{
		"/api/parties",
		"/api/parties?date=" + p.Date + "&free=true",
		"/api/parties/" + p.ID,
		"/api/parties/" + p.ID + "/calendar.ics",
		"/api/calendar/ics?partyId=" + p.ID,
		"/api/conferences",
		"/api/conferences/" + demoConference,
		"/api/conferences/" + demoConference + "/calendar.ics",
		"/api/party-days",
		"/api/openapi.yaml",
	}
}

// TestConditionalGET checks revalidation: the ETag sent back in
// If-None-Match gives an empty 304, in either encoding.
func TestConditionalGET(t *testing.T) {
	for _, path := range publicPaths(t) {
		t.Run(path, func(t *testing.T) {
			for _, enc := range []string{"gzip", "identity"} {
				r := shared.get(t, path, "Accept-Encoding", enc)
				wantStatus(t, r, http.StatusOK, path)
				tag := r.Header.Get("ETag")
				if tag == "" {
					t.Fatalf("%s (%s): no ETag", path, enc)
				}
				nm := shared.get(t, path, "Accept-Encoding", enc, "If-None-Match", tag)
				if nm.Status != http.StatusNotModified || len(nm.Raw) != 0 {
					t.Errorf("%s (%s) If-None-Match %s: status %d with %d bytes, want an empty 304", path, enc, tag, nm.Status, len(nm.Raw))
				}
				if nm.Header.Get("ETag") != tag || nm.Header.Get("Cache-Control") != r.Header.Get("Cache-Control") {
					t.Errorf("%s: the 304 carries ETag %q Cache-Control %q, the 200 %q %q", path,
						nm.Header.Get("ETag"), nm.Header.Get("Cache-Control"), tag, r.Header.Get("Cache-Control"))
				}
				for _, inm := range []string{"W/" + tag, `"other", ` + tag, "*"} {
					if r := shared.get(t, path, "Accept-Encoding", enc, "If-None-Match", inm); r.Status != http.StatusNotModified {
						t.Errorf("%s If-None-Match %s: status %d, want 304", path, inm, r.Status)
					}
				}
				if r := shared.get(t, path, "Accept-Encoding", enc, "If-None-Match", `"stale"`); r.Status != http.StatusOK {
					t.Errorf("%s with a stale ETag: status %d, want 200", path, r.Status)
				}
			}
			// A client that cached the plain body and now accepts gzip is still current.
			plain := shared.get(t, path, "Accept-Encoding", "identity").Header.Get("ETag")
			if r := shared.get(t, path, "Accept-Encoding", "gzip", "If-None-Match", plain); r.Status != http.StatusNotModified {
				t.Errorf("%s: the plain ETag sent with Accept-Encoding gzip gave %d, want 304", path, r.Status)
			}
		})
	}
	a := shared.get(t, "/api/parties?limit=5").Header.Get("ETag")
	b := shared.get(t, "/api/parties?limit=6").Header.Get("ETag")
	if a == b {
		t.Errorf("different pages share the ETag %s", a)
	}
}

func TestCompression(t *testing.T) {
	const path = "/api/parties?limit=500&include=cancelled"
	gz := shared.get(t, path, "Accept-Encoding", "gzip, deflate, br")
	plain := shared.get(t, path, "Accept-Encoding", "identity")
	none := shared.send(t, http.MethodGet, path, nil)
	refused := shared.get(t, path, "Accept-Encoding", "gzip;q=0")
	if gz.Header.Get("Content-Encoding") != "gzip" {
		t.Fatalf("Accept-Encoding: gzip got Content-Encoding %q", gz.Header.Get("Content-Encoding"))
	}
	if len(gz.Raw) >= len(plain.Raw)/2 {
		t.Errorf("gzip body %d bytes for %d plain: not compressed", len(gz.Raw), len(plain.Raw))
	}
	if !bytes.Equal(gz.Body, plain.Body) {
		t.Errorf("the gzip body does not decompress to the plain one")
	}
	if gz.Header.Get("ETag") == plain.Header.Get("ETag") {
		t.Errorf("both encodings carry the ETag %s", gz.Header.Get("ETag"))
	}
	for name, r := range map[string]*result{"gzip": gz, "identity": plain, "no Accept-Encoding": none, "gzip;q=0": refused} {
		if !hasHeaderValue(r.Header, "Vary", "Accept-Encoding") {
			t.Errorf("%s: Vary %q lacks Accept-Encoding", name, r.Header.Values("Vary"))
		}
		if name != "gzip" && r.Header.Get("Content-Encoding") != "" {
			t.Errorf("%s: Content-Encoding %q", name, r.Header.Get("Content-Encoding"))
		}
		if cl := r.Header.Get("Content-Length"); cl != strconv.Itoa(len(r.Raw)) {
			t.Errorf("%s: Content-Length %s for %d bytes", name, cl, len(r.Raw))
		}
	}
	// Tiny bodies are not worth compressing.
	h := shared.get(t, "/api/health", "Accept-Encoding", "gzip")
	if h.Header.Get("Content-Encoding") != "" {
		t.Errorf("health is %d bytes and came gzip-encoded", len(h.Body))
	}
}

var (
	maxAge = regexp.MustCompile(`(^|[ ,])max-age=(\d+)`)
	sMax   = regexp.MustCompile(`s-maxage=(\d+)`)
	swr    = regexp.MustCompile(`stale-while-revalidate=(\d+)`)
)

func TestCacheControl(t *testing.T) {
	for _, path := range publicPaths(t) {
		cc := shared.get(t, path).Header.Get("Cache-Control")
		m, s, w := maxAge.FindStringSubmatch(cc), sMax.FindStringSubmatch(cc), swr.FindStringSubmatch(cc)
		if !strings.Contains(cc, "public") || m == nil || s == nil || w == nil {
			t.Errorf("%s: Cache-Control %q, want public with max-age, s-maxage and stale-while-revalidate", path, cc)
			continue
		}
		ma, _ := strconv.Atoi(m[2])
		sm, _ := strconv.Atoi(s[1])
		if ma <= 0 || sm < ma {
			t.Errorf("%s: Cache-Control %q: want 0 < max-age <= s-maxage", path, cc)
		}
	}
	for _, path := range []string{"/api/health", "/api/parties?limit=0", "/api/parties/no-such-party", "/api/nowhere"} {
		if !shared.reaches(path) {
			continue // Hosting's own answer: not ours to set
		}
		if cc := shared.send(t, http.MethodGet, path, nil).Header.Get("Cache-Control"); cc != "no-store" {
			t.Errorf("%s: Cache-Control %q, want no-store", path, cc)
		}
	}
}

// TestSecurityHeaders checks every kind of response carries them, errors
// and empty answers included.
func TestSecurityHeaders(t *testing.T) {
	all, _ := everything(t, shared)
	okTag := shared.get(t, "/api/parties").Header.Get("ETag")
	cases := []struct {
		name string
		send func() *result
	}{
		{"200 json", func() *result { return shared.get(t, "/api/parties") }},
		{"200 calendar", func() *result { return shared.get(t, "/api/parties/"+all[0].ID+"/calendar.ics") }},
		{"200 health", func() *result { return shared.get(t, "/api/health") }},
		{"304", func() *result { return shared.get(t, "/api/parties", "If-None-Match", okTag) }},
		{"400", func() *result { return shared.send(t, http.MethodGet, "/api/parties?limit=x", nil) }},
		{"404 party", func() *result { return shared.send(t, http.MethodGet, "/api/parties/nope", nil) }},
		{"404 path", func() *result { return shared.send(t, http.MethodGet, "/nope", nil) }},
		{"405", func() *result {
			return shared.send(t, http.MethodPut, "/api/parties", []byte("{}"), "Content-Type", "application/json")
		}},
		{"204 OPTIONS", func() *result { return shared.send(t, http.MethodOptions, "/api/parties", nil) }},
	}
	want := map[string]string{
		"X-Content-Type-Options":     "nosniff",
		"X-Frame-Options":            "DENY",
		"Referrer-Policy":            "no-referrer",
		"Cross-Origin-Opener-Policy": "same-origin",
	}
	for _, tc := range cases {
		if tc.name == "404 path" && !shared.reaches("/nope") {
			continue // behind Hosting no rewrite covers it: Hosting answers itself
		}
		r := tc.send()
		for k, v := range want {
			if got := r.Header.Get(k); got != v {
				t.Errorf("%s: %s %q, want %q", tc.name, k, got, v)
			}
		}
		if csp := r.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "default-src 'none'") || !strings.Contains(csp, "frame-ancestors 'none'") {
			t.Errorf("%s: Content-Security-Policy %q", tc.name, csp)
		}
		if r.Header.Get("Permissions-Policy") == "" || r.Header.Get("X-Request-Id") == "" {
			t.Errorf("%s: no Permissions-Policy or X-Request-Id", tc.name)
		}
		// HSTS belongs to the cloud, which serves HTTPS alone; never to
		// a plain-HTTP local server.
		if hsts := r.Header.Get("Strict-Transport-Security"); shared.hosting == nil && hsts != "" {
			t.Errorf("%s: HSTS %q on a plain-HTTP local server", tc.name, hsts)
		} else if shared.hosting != nil && !strings.Contains(hsts, "max-age=") {
			t.Errorf("%s: HSTS %q in the deployed configuration, want a max-age", tc.name, hsts)
		}
	}
	if id := shared.get(t, "/api/health", "X-Request-Id", "trace-me-123").Header.Get("X-Request-Id"); id != "trace-me-123" {
		t.Errorf("X-Request-Id %q, want the caller's trace-me-123", id)
	}
	if id := shared.get(t, "/api/health", "X-Request-Id", "<script>").Header.Get("X-Request-Id"); id == "<script>" || id == "" {
		t.Errorf("X-Request-Id %q echoed an unsafe id", id)
	}
}

func TestCORS(t *testing.T) {
	const dev = "http://localhost:5173"
	r := shared.get(t, "/api/parties", "Origin", dev)
	if got := r.Header.Get("Access-Control-Allow-Origin"); got != dev {
		t.Errorf("local dev origin: Access-Control-Allow-Origin %q, want %q", got, dev)
	}
	if !hasHeaderValue(r.Header, "Vary", "Origin") {
		t.Errorf("Vary %q lacks Origin", r.Header.Values("Vary"))
	}
	if !hasHeaderValue(r.Header, "Access-Control-Expose-Headers", "ETag") {
		t.Errorf("Access-Control-Expose-Headers %q lacks ETag", r.Header.Get("Access-Control-Expose-Headers"))
	}
	missing := "/api/nowhere"
	if !shared.reaches(missing) {
		missing = "/api/parties/no-such-party" // behind Hosting, a 404 of a function
	}
	if e := shared.send(t, http.MethodGet, missing, nil, "Origin", dev); e.Header.Get("Access-Control-Allow-Origin") != dev {
		t.Errorf("a 404 is not readable by the dev origin: the frontend could not show the error")
	}
	for _, origin := range []string{"https://evil.example", "http://localhost.evil.example", "null"} {
		r := shared.get(t, "/api/parties", "Origin", origin)
		if got := r.Header.Get("Access-Control-Allow-Origin"); got != "" {
			t.Errorf("origin %s: Access-Control-Allow-Origin %q", origin, got)
		}
	}

	pre := shared.send(t, http.MethodOptions, "/api/parties", nil,
		"Origin", dev, "Access-Control-Request-Method", "GET", "Access-Control-Request-Headers", "if-none-match")
	if pre.Status != http.StatusNoContent || len(pre.Raw) != 0 {
		t.Errorf("preflight: status %d with %d bytes, want an empty 204", pre.Status, len(pre.Raw))
	}
	if pre.Header.Get("Access-Control-Allow-Origin") != dev ||
		!hasHeaderValue(pre.Header, "Access-Control-Allow-Methods", "GET") ||
		!hasHeaderValue(pre.Header, "Access-Control-Allow-Headers", "If-None-Match") ||
		pre.Header.Get("Access-Control-Max-Age") == "" {
		t.Errorf("preflight headers: %v", pre.Header)
	}
	denied := shared.send(t, http.MethodOptions, "/api/parties", nil, "Origin", "https://evil.example", "Access-Control-Request-Method", "GET")
	if denied.Status != http.StatusNoContent || denied.Header.Get("Access-Control-Allow-Origin") != "" || denied.Header.Get("Access-Control-Allow-Methods") != "" {
		t.Errorf("preflight from a foreign origin: status %d, headers %v", denied.Status, denied.Header)
	}
}

func TestHEAD(t *testing.T) {
	get := shared.get(t, "/api/parties", "Accept-Encoding", "identity")
	head := shared.send(t, http.MethodHead, "/api/parties", nil, "Accept-Encoding", "identity")
	if head.Status != http.StatusOK || len(head.Raw) != 0 || head.Header.Get("ETag") != get.Header.Get("ETag") ||
		head.Header.Get("Content-Length") != strconv.Itoa(len(get.Raw)) {
		t.Errorf("HEAD: status %d, %d bytes, ETag %q Content-Length %q; GET: ETag %q, %d bytes",
			head.Status, len(head.Raw), head.Header.Get("ETag"), head.Header.Get("Content-Length"), get.Header.Get("ETag"), len(get.Raw))
	}
}

// checkProblem checks an error response is a problem document a client can
// act on, and returns it.
func checkProblem(t testing.TB, r *result, status int, code, what string) problem {
	t.Helper()
	if r.Status != status {
		t.Errorf("%s: status %d, want %d; body %.300s", what, r.Status, status, r.Body)
	}
	if ct := r.Header.Get("Content-Type"); ct != "application/problem+json" {
		t.Errorf("%s: Content-Type %q, want application/problem+json", what, ct)
	}
	p := decode[problem](t, r)
	if p.Status != r.Status || p.Code != code || p.Type != "urn:partyfinder:problem:"+code || p.Success || p.Error == "" || p.Error != p.Detail {
		t.Errorf("%s: problem %+v, want status %d code %s, success false and error = detail", what, p, status, code)
	}
	if r.Header.Get("ETag") != "" {
		t.Errorf("%s: an error with an ETag", what)
	}
	return p
}

func TestNotFound(t *testing.T) {
	for _, path := range []string{
		"/api/nowhere",
		"/nowhere",
		"/api/parties/no-such-party",
		"/api/parties/no-such-party/calendar.ics",
		"/api/parties/bad$id!",
		"/api/parties/a/b/c",
		"/api/calendar/ics?partyId=no-such-party",
		"/api/conferences/nocon",
		"/api/conferences/nocon/calendar.ics",
		"/api/parties?conference=nocon",
		"/api/party-days?conference=nocon",
	} {
		if !shared.reaches(path) {
			// Behind Hosting no rewrite covers the path: Hosting answers
			// with its own 404 page, which no code of ours writes.
			if r := hostingAnswer(t, shared, http.MethodGet, path, nil); r.Status != http.StatusNotFound {
				t.Errorf("GET %s behind Hosting: status %d, want 404", path, r.Status)
			}
			continue
		}
		r := shared.send(t, http.MethodGet, path, nil, "Accept-Encoding", "gzip")
		checkProblem(t, r, http.StatusNotFound, "not_found", "GET "+path)
	}
}

func TestMethodNotAllowed(t *testing.T) {
	all, _ := everything(t, shared)
	for _, tc := range []struct{ method, path string }{
		{http.MethodPut, "/api/parties"},
		{http.MethodPut, "/api/parties/" + all[0].ID},
		{http.MethodPost, "/api/parties/" + all[0].ID},
		{http.MethodPatch, "/api/conferences/" + demoConference},
		{http.MethodPost, "/api/health"},
		{http.MethodPost, "/api/calendar/ics"},
	} {
		r := shared.send(t, tc.method, tc.path, []byte(`{"title":"x"}`), "Content-Type", "application/json")
		checkProblem(t, r, http.StatusMethodNotAllowed, "method_not_allowed", tc.method+" "+tc.path)
		if allow := r.Header.Get("Allow"); !hasHeaderValue(r.Header, "Allow", "GET") || hasHeaderValue(r.Header, "Allow", tc.method) {
			t.Errorf("%s %s: Allow %q, want GET and not %s", tc.method, tc.path, allow, tc.method)
		}
	}
}

// TestBadParameters checks that every malformed parameter is a 400 naming it,
// so the frontend can point at the field.
func TestBadParameters(t *testing.T) {
	for _, tc := range []struct {
		query  string
		fields []string
	}{
		{"/api/parties?limit=0", []string{"limit"}},
		{"/api/parties?limit=501", []string{"limit"}},
		{"/api/parties?limit=ten", []string{"limit"}},
		{"/api/parties?page=0", []string{"page"}},
		{"/api/parties?page=-1", []string{"page"}},
		{"/api/parties?cursor=not*a*cursor", []string{"cursor"}},
		{"/api/parties?cursor=bm90LWEtY3Vyc29y", []string{"cursor"}},
		{"/api/parties?date=2025-13-45", []string{"date"}},
		{"/api/parties?date=tomorrow", []string{"date"}},
		{"/api/parties?free=maybe", []string{"free"}},
		{"/api/parties?near=somewhere", []string{"near"}},
		{"/api/parties?near=91,7", []string{"near"}},
		{"/api/parties?radius=2", []string{"radius"}},
		{"/api/parties?near=50.9,6.9&radius=500", []string{"radius"}},
		{"/api/parties?near=50.9,6.9&radius=-1", []string{"radius"}},
		{"/api/parties?from=yesterday", []string{"from"}},
		{"/api/parties?from=2025-08-20T20:00&to=2025-08-20T19:00", []string{"to"}},
		{"/api/parties?include=drafts", []string{"include"}},
		{"/api/parties?catgory=party", []string{"catgory"}},
		{"/api/parties?q=" + strings.Repeat("a", 201), []string{"q"}},
		{"/api/parties?date=" + dates(32), []string{"date"}},
		{"/api/parties?category=" + categories(32), []string{"category"}},
		{"/api/parties?limit=0&free=maybe&bogus=1", []string{"limit", "free", "bogus"}},
		{"/api/party-days?date=2025-08-20", []string{"date"}},
		{"/api/parties?limit=1&limit=2", []string{"limit"}},
		{"/api/parties?q=rooftop&q=mixer&free=true&free=false", []string{"q", "free"}},
		{"/api/party-days?conference=" + demoConference + "&conference=" + demoConference, []string{"conference"}},
		{"/api/calendar/ics?partyId=a&partyId=b", []string{"partyId"}},
		{"/api/hotspots?conference=" + demoConference + "&conference=other", []string{"conference"}},
		{"/api/calendar/ics", []string{"partyId"}},
	} {
		r := shared.send(t, http.MethodGet, tc.query, nil)
		p := checkProblem(t, r, http.StatusBadRequest, "invalid", tc.query)
		got := map[string]bool{}
		for _, f := range p.Errors {
			got[f.Field] = true
		}
		for _, f := range tc.fields {
			if !got[f] {
				t.Errorf("%s: errors %+v do not name %q", tc.query, p.Errors, f)
			}
		}
		if len(p.Errors) != len(tc.fields) {
			t.Errorf("%s: %d field errors %+v, want %d", tc.query, len(p.Errors), p.Errors, len(tc.fields))
		}
	}
	// A cursor and a page number together are ambiguous.
	first := shared.feed(t, "limit=5")
	if first.Meta.NextCursor == nil {
		t.Fatal("no cursor after the first page of 5")
	}
	r := shared.send(t, http.MethodGet, "/api/parties?limit=5&page=2&cursor="+url.QueryEscape(*first.Meta.NextCursor), nil)
	if p := checkProblem(t, r, http.StatusBadRequest, "invalid", "page and cursor"); len(p.Errors) != 1 || p.Errors[0].Field != "page" {
		t.Errorf("page and cursor: errors %+v, want one about page", p.Errors)
	}
}

func dates(n int) string {
	out := make([]string, n)
	for i := range out {
		out[i] = "2025-07-" + strconv.Itoa(10+i%20)
		if i >= 20 {
			out[i] = "2025-08-" + strconv.Itoa(10+i-20)
		}
	}
	return strings.Join(out, ",")
}

func categories(n int) string {
	out := make([]string, n)
	for i := range out {
		out[i] = "kind" + strconv.Itoa(i)
	}
	return strings.Join(out, ",")
}

// TestLongTextSearch checks the q limit counts characters, as the contract
// and the error message say: German and accented queries take two bytes a letter.
func TestLongTextSearch(t *testing.T) {
	q := strings.Repeat("ä", 150)
	r := shared.get(t, "/api/parties?q="+url.QueryEscape(q))
	wantStatus(t, r, http.StatusOK, "a 150-character query")
	if p := decode[feedPage](t, r); p.Meta.Total != 0 {
		t.Errorf("150 × ä matched %d parties", p.Meta.Total)
	}
}

// TestOversizedBody checks a request body over 1 MiB is refused before it
// is read.
func TestOversizedBody(t *testing.T) {
	r := shared.send(t, http.MethodGet, "/api/parties", bytes.Repeat([]byte("x"), 2<<20), "Content-Type", "text/plain")
	checkProblem(t, r, http.StatusRequestEntityTooLarge, "payload_too_large", "2 MiB body")
}

// A query that does not parse is refused, not read in part; and the
// conference is chosen from the decoded query on every route alike.
func TestQueriesThatDoNotParse(t *testing.T) {
	s := shared
	for _, tc := range []struct {
		path   string
		status int
	}{
		{"/api/parties?limit=1;x", http.StatusBadRequest},
		{"/api/parties?a=%zz", http.StatusBadRequest},
		{"/api/parties?" + strings.Repeat("junk=1&", 10_000) + "include=cancelled", http.StatusBadRequest},
		{"/api/party-days?conference=democon;x", http.StatusBadRequest},
		{"/api/parties?%63onference=no-such-con", http.StatusNotFound},
		{"/api/party-days?%63onference=no-such-con", http.StatusNotFound},
		{"/api/parties?%63onference=" + demoConference, http.StatusOK},
	} {
		r := s.do(t, http.MethodGet, tc.path, http.Header{}, nil, false)
		if r.Status != tc.status {
			t.Errorf("GET %.80s: %d, want %d: %.200s", tc.path, r.Status, tc.status, r.Body)
		}
	}
}

// An admin reads this process's error-budget burn: the feed's and the
// attendee API's requests are counted against their objectives.
func TestSLOReport(t *testing.T) {
	skipOn(t, "/api/slo reports the requests of the process that serves it; behind Hosting that is the admin "+
		"function's process, which serves no feed or attendee request (the authorization matrix still gets its 200)", targetFunctions)
	s := start(t, filepath.Join(t.TempDir(), "slo.db"))
	for range 3 {
		wantStatus(t, s.get(t, "/api/parties"), http.StatusOK, "the feed")
	}
	wantStatus(t, s.do(t, http.MethodGet, "/api/parties?limit=0", http.Header{}, nil, false), http.StatusBadRequest, "a bad query")
	admin := signIn(t, s, `{"uid":"slo-admin","roles":["admin"]}`)
	wantStatus(t, s.as(t, admin, http.MethodGet, "/api/me", ""), http.StatusOK, "an attendee read")
	r := s.as(t, admin, http.MethodGet, "/api/slo", "")
	wantStatus(t, r, http.StatusOK, "GET /api/slo")
	type window struct {
		Window           string  `json:"window"`
		Requests         int64   `json:"requests"`
		AvailabilityBurn float64 `json:"availabilityBurn"`
	}
	reports := decode[envelope[[]struct {
		SLO     string   `json:"slo"`
		Windows []window `json:"windows"`
	}]](t, r).Data
	got := map[string]int64{}
	for _, rep := range reports {
		got[rep.SLO] = rep.Windows[0].Requests
		if rep.Windows[0].AvailabilityBurn != 0 {
			t.Errorf("%s burns %v with no 5xx", rep.SLO, rep.Windows[0].AvailabilityBurn)
		}
	}
	if got["feed"] != 4 || got["attendee"] != 1 {
		t.Errorf("requests in the last 5 minutes: %v, want feed 4 (a 400 is not the server's fault but is a request) and attendee 1", got)
	}
}
