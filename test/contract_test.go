package blackbox_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/gorillamux"
)

func init() {
	// Calendar files are text: validate them against their string schema.
	openapi3filter.RegisterBodyDecoder("text/calendar", openapi3filter.PlainBodyDecoder)
	openapi3filter.RegisterBodyDecoder("application/xml", openapi3filter.PlainBodyDecoder)
	// kin-openapi asserts only the formats it knows; "uri" is not one of them.
	openapi3.DefineStringFormatValidator("uri", openapi3.NewCallbackValidator(func(s string) error {
		u, err := url.Parse(s)
		if err != nil || !u.IsAbs() {
			return fmt.Errorf("%q is not an absolute URI", s)
		}
		return nil
	}))
}

// contract is the OpenAPI document every response is checked against.
type contract struct {
	doc    *openapi3.T
	raw    []byte
	router routers.Router
	// fallback answers requests the document has no operation for (unknown
	// paths, other methods, OPTIONS): the responses the server gives to any
	// request, documented as components.
	fallback map[string]*openapi3.Operation

	mu        sync.Mutex
	exercised map[string]bool // operationId -> a 2xx response was validated
}

func loadContract(path string) (*contract, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	loader := openapi3.NewLoader()
	doc, err := loader.LoadFromData(raw)
	if err != nil {
		return nil, fmt.Errorf("load: %w", err)
	}
	if err := doc.Validate(loader.Context); err != nil {
		return nil, fmt.Errorf("validate: %w", err)
	}
	// Match any host: the servers each test starts listen on random ports.
	doc.Servers = openapi3.Servers{{URL: "/"}}
	router, err := gorillamux.NewRouter(doc)
	if err != nil {
		return nil, fmt.Errorf("router: %w", err)
	}
	c := &contract{doc: doc, raw: raw, router: router, exercised: map[string]bool{}}
	resp := func(name string) *openapi3.ResponseRef {
		r := doc.Components.Responses[name]
		if r == nil {
			panic("the contract has no components.responses." + name)
		}
		return r
	}
	c.fallback = map[string]*openapi3.Operation{
		"unknown path": {OperationID: "(unknown path)", Responses: openapi3.NewResponses(
			openapi3.WithStatus(404, resp("NotFound")),
			openapi3.WithStatus(413, resp("PayloadTooLarge")))},
		"other method": {OperationID: "(method not allowed)", Responses: openapi3.NewResponses(
			openapi3.WithStatus(405, resp("MethodNotAllowed")),
			openapi3.WithStatus(413, resp("PayloadTooLarge")))},
		"OPTIONS": {OperationID: "(preflight)", Responses: openapi3.NewResponses(
			openapi3.WithStatus(204, resp("Preflight")))},
	}
	for _, path := range doc.Paths.InMatchingOrder() {
		for _, op := range doc.Paths.Value(path).Operations() {
			c.exercised[op.OperationID] = false
		}
	}
	return c, nil
}

// unexercised lists the operations no test got a successful response from.
func (c *contract) unexercised() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []string
	for id, ok := range c.exercised {
		if !ok {
			out = append(out, id)
		}
	}
	slices.Sort(out)
	return out
}

// check validates one exchange: the request against its operation when
// strict (it is meant to be well-formed), and the response always. Requests
// the document has no operation for are checked against the responses the
// server gives to any path.
func (c *contract) check(t testing.TB, req *http.Request, res *result, strict bool) {
	t.Helper()
	ctx := context.Background()
	find := req
	if req.Method == http.MethodHead { // GET routes answer HEAD
		find = req.Clone(req.Context())
		find.Method = http.MethodGet
	}
	route, params, err := c.router.FindRoute(find)
	switch {
	case err == nil:
	case req.Method == http.MethodOptions:
		route = &routers.Route{Spec: c.doc, Path: req.URL.Path, Method: req.Method, Operation: c.fallback["OPTIONS"]}
	case errors.Is(err, routers.ErrMethodNotAllowed):
		route = &routers.Route{Spec: c.doc, Path: req.URL.Path, Method: req.Method, Operation: c.fallback["other method"]}
	case errors.Is(err, routers.ErrPathNotFound):
		route = &routers.Route{Spec: c.doc, Path: req.URL.Path, Method: req.Method, Operation: c.fallback["unknown path"]}
	default:
		t.Errorf("contract: %s %s: finding the route: %v", req.Method, req.URL, err)
		return
	}
	if strict && err != nil {
		t.Errorf("contract: %s %s is meant to be well-formed but the contract has no such operation: %v", req.Method, req.URL.RequestURI(), err)
	}
	opts := &openapi3filter.Options{IncludeResponseStatus: true, MultiError: true, SkipSettingDefaults: true,
		AuthenticationFunc: bearerOnly}
	reqIn := &openapi3filter.RequestValidationInput{Request: req, PathParams: params, Route: route, Options: opts}
	if strict && err == nil {
		if verr := openapi3filter.ValidateRequest(ctx, reqIn); verr != nil {
			t.Errorf("contract: request %s %s does not match the contract:\n%v", req.Method, req.URL.RequestURI(), verr)
		}
	}

	status := res.Status
	in := &openapi3filter.ResponseValidationInput{
		RequestValidationInput: reqIn,
		Status:                 status,
		Header:                 res.Header,
		Options:                opts,
	}
	in.SetBodyBytes(res.Body)
	switch {
	case status == http.StatusNotModified:
		// openapi3filter never looks at 304s: check that the operation
		// documents one and validate its headers as that response.
		ref := route.Operation.Responses.Status(status)
		if ref == nil {
			t.Errorf("contract: %s %s answered 304 but %s documents no 304", req.Method, req.URL.RequestURI(), route.Operation.OperationID)
			return
		}
		if len(res.Raw) != 0 {
			t.Errorf("contract: %s %s: a 304 with a %d-byte body", req.Method, req.URL.RequestURI(), len(res.Raw))
		}
		in.RequestValidationInput = asOperation(reqIn, route, ref, http.MethodGet)
		in.Status = http.StatusOK
	case req.Method == http.MethodHead:
		// Likewise for HEAD: same headers as GET, no body.
		ref := route.Operation.Responses.Status(status)
		if ref == nil {
			ref = route.Operation.Responses.Default()
		}
		if ref == nil {
			t.Errorf("contract: HEAD %s: status %d is not documented for %s", req.URL.RequestURI(), status, route.Operation.OperationID)
			return
		}
		in.RequestValidationInput = asOperation(reqIn, route, ref, http.MethodGet)
		in.Status = http.StatusOK
		in.Options = &openapi3filter.Options{IncludeResponseStatus: true, ExcludeResponseBody: true}
	}
	if verr := openapi3filter.ValidateResponse(ctx, in); verr != nil {
		body := string(res.Body)
		if len(body) > 600 {
			body = body[:600] + "…"
		}
		t.Errorf("contract: response to %s %s (status %d, %s) does not match the contract:\n%v\nbody: %s",
			req.Method, req.URL.RequestURI(), status, res.Header.Get("Content-Type"), verr, body)
		return
	}
	if status >= 200 && status < 300 && err == nil {
		c.mu.Lock()
		c.exercised[route.Operation.OperationID] = true
		c.mu.Unlock()
	}
}

// bearerOnly checks what the contract can know of a well-formed request's
// credentials: an Authorization header of the bearer scheme. Whether the
// token is any good is the server's to decide, and the tests' to check.
func bearerOnly(_ context.Context, in *openapi3filter.AuthenticationInput) error {
	if in.SecurityScheme == nil || in.SecurityScheme.Type != "http" || !strings.EqualFold(in.SecurityScheme.Scheme, "bearer") {
		return fmt.Errorf("security scheme %s is not the http bearer scheme the tests know", in.SecuritySchemeName)
	}
	scheme, token, ok := strings.Cut(in.RequestValidationInput.Request.Header.Get("Authorization"), " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") || strings.TrimSpace(token) == "" {
		return errors.New("no Authorization: Bearer header")
	}
	return nil
}

// asOperation returns the request input re-pointed at a one-response
// operation answering 200 with ref, so that response's headers are validated.
func asOperation(in *openapi3filter.RequestValidationInput, route *routers.Route, ref *openapi3.ResponseRef, method string) *openapi3filter.RequestValidationInput {
	r := *route
	r.Operation = &openapi3.Operation{OperationID: route.Operation.OperationID, Responses: openapi3.NewResponses(openapi3.WithStatus(http.StatusOK, ref))}
	req := in.Request.Clone(in.Request.Context())
	req.Method = method
	return &openapi3filter.RequestValidationInput{Request: req, PathParams: in.PathParams, Route: &r, Options: in.Options}
}

// result is one response, read in full.
type result struct {
	Status int
	Header http.Header
	Raw    []byte // the body as sent
	Body   []byte // the body decoded (gunzipped when Content-Encoding: gzip)
}

// client sends requests without the transport's transparent gzip, so tests
// see the encoding the server chose.
var client = &http.Client{
	Transport: &http.Transport{DisableCompression: true, MaxIdleConnsPerHost: 16},
	Timeout:   30 * time.Second,
	CheckRedirect: func(*http.Request, []*http.Request) error {
		return http.ErrUseLastResponse
	},
}

// get sends a well-formed GET as a browser would (accepting gzip unless the
// headers say otherwise) and checks request and response against the
// contract. headers are name, value pairs.
func (s *server) get(t testing.TB, path string, headers ...string) *result {
	t.Helper()
	h := http.Header{"Accept-Encoding": {"gzip"}, "Accept": {"application/json, text/calendar, */*"}}
	for i := 0; i+1 < len(headers); i += 2 {
		h.Set(headers[i], headers[i+1])
	}
	return s.do(t, http.MethodGet, path, h, nil, true)
}

// send sends any request (malformed ones included) and checks the response
// against the contract.
func (s *server) send(t testing.TB, method, path string, body []byte, headers ...string) *result {
	t.Helper()
	h := http.Header{}
	for i := 0; i+1 < len(headers); i += 2 {
		h.Set(headers[i], headers[i+1])
	}
	return s.do(t, method, path, h, body, false)
}

func (s *server) do(t testing.TB, method, path string, h http.Header, body []byte, strict bool) *result {
	t.Helper()
	return s.doVia(t, client, method, path, h, body, strict)
}

// doVia is do with the given client.
func (s *server) doVia(t testing.TB, client *http.Client, method, path string, h http.Header, body []byte, strict bool) *result {
	t.Helper()
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequest(method, s.base+path, rd)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	req.Header = h
	resp, err := client.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("%s %s: reading the body: %v", method, path, err)
	}
	res := &result{Status: resp.StatusCode, Header: resp.Header, Raw: raw, Body: raw}
	if resp.Header.Get("Content-Encoding") == "gzip" {
		zr, err := gzip.NewReader(bytes.NewReader(raw))
		if err == nil {
			res.Body, err = io.ReadAll(zr)
		}
		if err != nil {
			t.Fatalf("%s %s: Content-Encoding: gzip but the body does not gunzip: %v", method, path, err)
		}
	}
	// The request as the contract sees it: a fresh copy, body included.
	vreq, _ := http.NewRequest(method, s.base+path, bytes.NewReader(body))
	vreq.Header = h.Clone()
	api.check(t, vreq, res, strict)
	return res
}

// decode unmarshals the body of a response, failing the test on bad JSON.
func decode[T any](t testing.TB, r *result) T {
	t.Helper()
	var v T
	if err := json.Unmarshal(r.Body, &v); err != nil {
		t.Fatalf("decoding %T: %v\nbody: %.300s", v, err, r.Body)
	}
	return v
}

// wantStatus fails the test unless r has the status.
func wantStatus(t testing.TB, r *result, status int, what string) {
	t.Helper()
	if r.Status != status {
		t.Fatalf("%s: status %d, want %d; body: %.400s", what, r.Status, status, r.Body)
	}
}

// The wire shapes the tests read (the contract checks every field).
type (
	partyJSON struct {
		ID           string   `json:"id"`
		ConferenceID string   `json:"conferenceId"`
		Title        string   `json:"title"`
		Description  string   `json:"description"`
		Venue        string   `json:"venue"`
		Address      string   `json:"address"`
		Date         string   `json:"date"`
		Time         string   `json:"time"`
		Start        string   `json:"start"`
		End          *string  `json:"end"`
		Free         bool     `json:"free"`
		Category     string   `json:"category"`
		CategoryKey  string   `json:"categoryKey"`
		HostList     []string `json:"hostList"`
		Lat          *float64 `json:"lat"`
		Lng          *float64 `json:"lng"`
		Status       string   `json:"status"`
		Popularity   *struct {
			Saves int64 `json:"saves"`
		} `json:"popularity"`
	}
	feedMeta struct {
		Count      int     `json:"count"`
		Total      int     `json:"total"`
		Limit      int     `json:"limit"`
		Page       int     `json:"page"`
		HasMore    bool    `json:"hasMore"`
		NextCursor *string `json:"nextCursor"`
		Conference string  `json:"conference"`
		Timezone   string  `json:"timezone"`
	}
	feedPage struct {
		Success bool              `json:"success"`
		Data    []json.RawMessage `json:"data"`
		Meta    feedMeta          `json:"meta"`
	}
	dayJSON struct {
		Date  string `json:"date"`
		Count int    `json:"count"`
	}
	daysPage struct {
		Data []dayJSON `json:"data"`
		Meta struct {
			Conference string `json:"conference"`
			Days       int    `json:"days"`
			Total      int    `json:"total"`
		} `json:"meta"`
	}
	conferenceJSON struct {
		ID         string `json:"id"`
		Name       string `json:"name"`
		Timezone   string `json:"timezone"`
		FirstDay   string `json:"firstDay"`
		LastDay    string `json:"lastDay"`
		PartyCount *int   `json:"partyCount"`
	}
	problem struct {
		Type    string `json:"type"`
		Status  int    `json:"status"`
		Code    string `json:"code"`
		Detail  string `json:"detail"`
		Success bool   `json:"success"`
		Error   string `json:"error"`
		Errors  []struct {
			Field string `json:"field"`
			Code  string `json:"code"`
		} `json:"errors"`
	}
)

// parties decodes a feed page's parties.
func (p feedPage) parties(t testing.TB) []partyJSON {
	t.Helper()
	out := make([]partyJSON, len(p.Data))
	for i, raw := range p.Data {
		if err := json.Unmarshal(raw, &out[i]); err != nil {
			t.Fatalf("party %d: %v", i, err)
		}
	}
	return out
}

// feed fetches one feed page and checks it is a 200.
func (s *server) feed(t testing.TB, query string) feedPage {
	t.Helper()
	path := "/api/parties"
	if query != "" {
		path += "?" + query
	}
	r := s.get(t, path)
	wantStatus(t, r, http.StatusOK, "GET "+path)
	return decode[feedPage](t, r)
}

// hasHeaderValue reports whether a comma-separated header (over all its
// lines) lists v, case-insensitively.
func hasHeaderValue(h http.Header, name, v string) bool {
	for _, line := range h.Values(name) {
		for _, part := range strings.Split(line, ",") {
			if strings.EqualFold(strings.TrimSpace(part), v) {
				return true
			}
		}
	}
	return false
}
