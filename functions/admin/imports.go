package admin

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strconv"
	"strings"

	"github.com/partyfinder/partyfinder/shared/apperr"
	"github.com/partyfinder/partyfinder/shared/httpapi"
	"github.com/partyfinder/partyfinder/shared/identity"
	"github.com/partyfinder/partyfinder/shared/importer"
)

// maxSource bounds ?source=, part of every derived party id.
const maxSource = 64

// urlRequest is the body that names a sheet to fetch instead of sending
// the file: {"url": "https://…"}. The fetcher decides whether the URL may
// be fetched, and says why not.
type urlRequest struct {
	URL string `json:"url" validate:"required,max=2000"`
}

// importParties runs the import engine of the command line on a CSV or
// JSON body, or on the document a {"url"} body names, and answers with
// the same per-row report: ?conference=ID (required), &dryRun=true to
// write nothing, &prune=true to cancel the source's parties the file no
// longer lists, &source= to name where the rows come from.
func (h *Handler) importParties(w http.ResponseWriter, r *http.Request, who identity.Identity) {
	q := r.URL.Query()
	if err := httpapi.OnlyParams(q, "conference", "dryRun", "prune", "source"); err != nil {
		httpapi.Error(w, r, err)
		return
	}
	var fs []apperr.FieldError
	flag := func(name string) bool {
		v := q.Get(name)
		if v == "" {
			return false
		}
		b, err := strconv.ParseBool(v)
		if err != nil {
			fs = append(fs, apperr.FieldError{Field: name, Code: "format", Message: "must be true or false"})
		}
		return b
	}
	dryRun, prune := flag("dryRun"), flag("prune")
	conf := q.Get("conference")
	if conf == "" {
		fs = append(fs, apperr.FieldError{Field: "conference", Code: "required", Message: "is required"})
	}
	source := strings.TrimSpace(q.Get("source"))
	if len(source) > maxSource {
		fs = append(fs, apperr.FieldError{Field: "source", Code: "max", Message: fmt.Sprintf("must be at most %d bytes", maxSource)})
	}
	if err := apperr.Fields("invalid import request", fs); err != nil {
		httpapi.Error(w, r, err)
		return
	}
	// Imports fill conferences that exist; an admin creates one first.
	snap, err := h.Feed.ConferenceSnapshot(r.Context(), conf)
	if apperr.Is(err, apperr.NotFound) {
		err = apperr.Field("conference", "unknown", "names no conference; create it first (POST /api/admin/conferences)")
	}
	if err != nil {
		httpapi.Error(w, r, err)
		return
	}
	in, err := h.input(r)
	if err != nil {
		httpapi.Error(w, r, err)
		return
	}
	rep, err := h.Import.Run(r.Context(), importer.Request{
		ConferenceID: snap.Conference.ID,
		Input:        in,
		Options:      importer.Options{Source: source, Prune: prune},
		DryRun:       dryRun,
		Actor:        who.UID,
	})
	if err != nil {
		httpapi.Error(w, r, err)
		return
	}
	if !dryRun {
		h.Feed.Invalidate(snap.Conference.ID)
	}
	httpapi.OK(w, http.StatusOK, withLists(rep))
}

// withLists gives every list and map of the report a value, so clients
// read [] and {} instead of null.
func withLists(rep importer.Report) importer.Report {
	orEmpty := func(s []string) []string {
		if s == nil {
			return []string{}
		}
		return s
	}
	rep.Notes = orEmpty(rep.Notes)
	if rep.WarningKinds == nil {
		rep.WarningKinds = map[string]int{}
	}
	if rep.Rows == nil {
		rep.Rows = []importer.RowReport{}
	}
	if rep.Pruned == nil {
		rep.Pruned = []importer.PrunedParty{}
	}
	for i := range rep.Rows {
		rr := &rep.Rows[i]
		rr.Warnings, rr.Kinds, rr.Errors = orEmpty(rr.Warnings), orEmpty(rr.Kinds), orEmpty(rr.Errors)
	}
	return rep
}

// input reads the rows to import: the body as CSV (text/csv or any text
// type) or JSON (an export's rows), or the document at the URL a
// {"url": …} body names.
func (h *Handler) input(r *http.Request) (importer.Input, error) {
	mt := "text/csv"
	if ct := r.Header.Get("Content-Type"); ct != "" {
		var err error
		if mt, _, err = mime.ParseMediaType(ct); err != nil {
			return importer.Input{}, apperr.Field("Content-Type", "format", "is not a media type")
		}
	}
	body, err := io.ReadAll(r.Body)
	var big *http.MaxBytesError
	if errors.As(err, &big) {
		// A body sent without its length, over the limit: a file this
		// large cannot reach the function in the cloud either.
		return importer.Input{}, &apperr.Error{Kind: httpapi.PayloadTooLarge, Message: fmt.Sprintf(
			"the file is larger than the %d MiB an import may send; import it from the command line (partyfinder import), which has no limit", big.Limit>>20)}
	}
	if err != nil {
		return importer.Input{}, err // a broken connection
	}
	if len(bytes.TrimSpace(body)) == 0 {
		return importer.Input{}, apperr.Field("body", "required", "send a CSV or JSON file, or {\"url\": …} naming a published sheet")
	}
	format := importer.CSV
	switch {
	case mt == "application/json":
		format = importer.JSON
		if u, ok, err := urlOf(body); err != nil {
			return importer.Input{}, err
		} else if ok {
			if h.Fetch == nil {
				return importer.Input{}, apperr.New(apperr.Unavailable, "fetching sheets is not configured")
			}
			if body, err = h.Fetch(r.Context(), u); err != nil {
				return importer.Input{}, fieldOf("url", err)
			}
			format = importer.Auto
		}
	case mt == "text/csv" || strings.HasPrefix(mt, "text/"):
	default:
		return importer.Input{}, apperr.Field("Content-Type", "unsupported", "must be text/csv or application/json")
	}
	in, err := importer.Parse(bytes.NewReader(body), format)
	if err != nil {
		return importer.Input{}, fieldOf("body", err)
	}
	return in, nil
}

// urlOf reports whether a JSON body is {"url": …} rather than rows.
func urlOf(body []byte) (string, bool, error) {
	var probe map[string]json.RawMessage
	if json.Unmarshal(body, &probe) != nil {
		return "", false, nil // an array of rows, or not JSON: Parse says which
	}
	if _, ok := probe["url"]; !ok {
		return "", false, nil
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	var req urlRequest
	if err := dec.Decode(&req); err != nil {
		return "", false, apperr.Field("body", "format", "a body with \"url\" holds nothing else: {\"url\": \"https://…\"}")
	}
	if err := httpapi.Validate(req); err != nil {
		return "", false, err
	}
	return req.URL, true, nil
}

// fieldOf names the field an Invalid error is about, keeping its message;
// other errors pass unchanged. The code is "format", one the contract's
// field errors have: the document or URL is not one that can be imported.
func fieldOf(field string, err error) error {
	var ae *apperr.Error
	if errors.As(err, &ae) && ae.Kind == apperr.Invalid && len(ae.Fields) == 0 {
		return apperr.Field(field, "format", ae.Message)
	}
	if !errors.As(err, &ae) {
		return apperr.Field(field, "format", err.Error())
	}
	return err
}
