package fetch

import (
	"net/netip"
	"strings"

	"github.com/partyfinder/partyfinder/shared/apperr"
)

// Why an address is refused; the texts complete "host … is" / "resolves to".
const (
	loopback    = "a loopback address"
	private     = "a private address"
	linkLocal   = "a link-local address"
	metadataIP  = "the cloud metadata address"
	unspecified = "an unspecified address"
	multicast   = "a multicast address"
	sharedNAT   = "a carrier-grade NAT address"
	reserved    = "a reserved address"
)

var (
	metadataAddr = netip.MustParseAddr("169.254.169.254")

	// reserved4 are IPv4 ranges that are neither public nor covered by the
	// netip predicates.
	reserved4 = []struct {
		prefix netip.Prefix
		reason string
	}{
		{netip.MustParsePrefix("0.0.0.0/8"), unspecified}, // "this network"
		{netip.MustParsePrefix("100.64.0.0/10"), sharedNAT},
		{netip.MustParsePrefix("192.0.0.0/24"), reserved},    // IETF protocol assignments
		{netip.MustParsePrefix("192.0.2.0/24"), reserved},    // documentation
		{netip.MustParsePrefix("192.88.99.0/24"), reserved},  // 6to4 relays
		{netip.MustParsePrefix("198.18.0.0/15"), reserved},   // benchmarking
		{netip.MustParsePrefix("198.51.100.0/24"), reserved}, // documentation
		{netip.MustParsePrefix("203.0.113.0/24"), reserved},  // documentation
		{netip.MustParsePrefix("240.0.0.0/4"), reserved},     // future use and broadcast
	}

	// IPv6 forms that carry an IPv4 address in their last 32 bits: that
	// address decides.
	compatible6 = netip.MustParsePrefix("::/96")        // IPv4-compatible (deprecated)
	nat64       = netip.MustParsePrefix("64:ff9b::/96") // well-known NAT64

	// global6 is the only IPv6 range in use for public unicast; reserved6
	// are the parts of it that are not public.
	global6   = netip.MustParsePrefix("2000::/3")
	reserved6 = []netip.Prefix{
		netip.MustParsePrefix("2001::/23"),     // IETF protocol assignments, Teredo
		netip.MustParsePrefix("2001:db8::/32"), // documentation
		netip.MustParsePrefix("2002::/16"),     // 6to4, which embeds any IPv4 address
		netip.MustParsePrefix("3fff::/20"),     // documentation
	}
)

// refusal returns why a may not be connected to, or "" for a public address.
// Loopback addresses pass only when allowLoopback is set (in tests).
func refusal(a netip.Addr, allowLoopback bool) string {
	r := classify(a)
	if r == loopback && allowLoopback {
		return ""
	}
	return r
}

func classify(a netip.Addr) string {
	a = a.WithZone("")
	if a.Is4In6() {
		return classify(a.Unmap())
	}
	if a.Is6() && !a.IsUnspecified() && !a.IsLoopback() && (compatible6.Contains(a) || nat64.Contains(a)) {
		b := a.As16()
		return classify(netip.AddrFrom4([4]byte(b[12:])))
	}
	switch {
	case !a.IsValid():
		return reserved
	case a.IsUnspecified():
		return unspecified
	case a.IsLoopback():
		return loopback
	case a.IsMulticast():
		return multicast
	case a == metadataAddr:
		return metadataIP
	case a.IsLinkLocalUnicast():
		return linkLocal
	case a.IsPrivate():
		return private
	}
	if a.Is4() {
		for _, r := range reserved4 {
			if r.prefix.Contains(a) {
				return r.reason
			}
		}
		return ""
	}
	if !global6.Contains(a) {
		return reserved
	}
	for _, p := range reserved6 {
		if p.Contains(a) {
			return reserved
		}
	}
	return ""
}

// checkHost applies the rules for the host part of a URL (brackets removed):
// an IP address must be public, a name must be a fully qualified public
// name. It returns the address when host is one.
func checkHost(host string, allowLoopback bool) (netip.Addr, *apperr.Error) {
	if host == "" {
		return netip.Addr{}, apperr.New(apperr.Invalid, "the URL has no host")
	}
	if a, err := netip.ParseAddr(host); err == nil {
		if a.Zone() != "" {
			return netip.Addr{}, apperr.New(apperr.Invalid, "host %s names a network interface", host)
		}
		if r := refusal(a, allowLoopback); r != "" {
			return netip.Addr{}, apperr.New(apperr.Invalid, "host %s is %s", host, r)
		}
		return a, nil
	}
	return netip.Addr{}, checkName(host)
}

// checkName refuses names that cannot be public hosts. The addresses they
// resolve to are checked again at connection time; these rules catch the
// obvious cases early, with a clearer message.
func checkName(host string) *apperr.Error {
	name := strings.TrimSuffix(strings.ToLower(host), ".")
	labels := strings.Split(name, ".")
	if len(name) > 253 || !validLabels(labels) {
		return apperr.New(apperr.Invalid, "host %q is not a valid host name", host)
	}
	last := labels[len(labels)-1]
	switch {
	case numeric(last):
		// Some resolvers read 2130706433, 0x7f.1 or 127.1 as 127.0.0.1.
		return apperr.New(apperr.Invalid, "host %q is neither a valid IP address nor a host name", host)
	case name == "metadata" || name == "metadata.google.internal":
		return apperr.New(apperr.Invalid, "host %q is the cloud metadata service", host)
	case last == "localhost":
		return apperr.New(apperr.Invalid, "host %q is the local machine", host)
	case last == "internal" || last == "local" || strings.HasSuffix(name, ".home.arpa"):
		return apperr.New(apperr.Invalid, "host %q is on an internal network", host)
	case len(labels) == 1:
		return apperr.New(apperr.Invalid, "host %q is not a fully qualified host name", host)
	}
	return nil
}

func validLabels(labels []string) bool {
	for _, l := range labels {
		if l == "" || len(l) > 63 || l[0] == '-' || l[len(l)-1] == '-' {
			return false
		}
		for _, c := range []byte(l) {
			if !('a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '-' || c == '_') {
				return false
			}
		}
	}
	return true
}

// numeric reports whether a name's last label is a number (decimal or 0x
// hexadecimal), which URL parsers and resolvers read as an IPv4 address.
func numeric(label string) bool {
	digits := label
	if strings.HasPrefix(label, "0x") {
		digits = label[2:]
	}
	return strings.Trim(digits, "0123456789abcdef") == "" && (digits != label || strings.Trim(label, "0123456789") == "")
}
