package me

import (
	"net/http"
	"strings"

	"github.com/partyfinder/partyfinder/shared/httpapi"
	"github.com/partyfinder/partyfinder/shared/identity"
	"github.com/partyfinder/partyfinder/shared/personal"
)

type linkJSON struct {
	URL        string `json:"url"`   // webcal://, for one-tap subscription
	HTTPS      string `json:"https"` // the same feed over https
	Generation int64  `json:"generation"`
}

func (h *Handler) calendarLink(w http.ResponseWriter, r *http.Request, id identity.Identity) {
	h.issueLink(w, r, id, false)
}

func (h *Handler) rotateCalendar(w http.ResponseWriter, r *http.Request, id identity.Identity) {
	h.issueLink(w, r, id, true)
}

// issueLink answers with the user's feed URL, issuing the first one on
// demand; rotating makes a new one and kills the old URL.
func (h *Handler) issueLink(w http.ResponseWriter, r *http.Request, id identity.Identity, rotate bool) {
	token, link, err := h.Commands.CalendarLink(r.Context(), id.UID, rotate)
	if err != nil {
		httpapi.Error(w, r, err)
		return
	}
	https := h.baseURL(r) + personal.FeedPath + token + ".ics"
	webcal := "webcal://" + strings.TrimPrefix(strings.TrimPrefix(https, "https://"), "http://")
	ok(w, linkJSON{URL: webcal, HTTPS: https, Generation: link.Generation})
}

// baseURL is the public site: configured (PARTYFINDER_PUBLIC_URL, which a
// deployment behind Firebase Hosting must set), else the host the request
// reached, as on one machine. Never X-Forwarded-Host: any client can send
// it, and the link carries the user's secret calendar token to whatever
// host it names.
func (h *Handler) baseURL(r *http.Request) string {
	if h.PublicURL != "" {
		return h.PublicURL
	}
	host := r.Host
	scheme := "https"
	if r.TLS == nil && (strings.HasPrefix(host, "localhost") || strings.HasPrefix(host, "127.0.0.1") || strings.HasPrefix(host, "[::1]")) {
		scheme = "http"
	}
	return scheme + "://" + host
}
