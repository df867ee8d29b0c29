// Package fetch downloads a document from a URL that an admin supplied, such
// as a Google Sheets "publish to web" CSV link that parties are imported from
// and that a scheduled re-sync fetches again.
//
// # The threat
//
// A URL typed in by a person and fetched by the server is server-side request
// forgery waiting to happen: the server sits inside the cloud network, so a
// URL naming the metadata service (http://169.254.169.254/,
// metadata.google.internal) would hand out the service account's tokens, and
// one naming 10.x, 127.0.0.1 or an internal host name would let the caller
// probe and talk to services no outsider can reach. Checking the URL's text
// is not enough: a public-looking name can resolve to a private address, its
// DNS answer can change between the check and the connection (DNS
// rebinding), and a public host can redirect to a private one.
//
// # The rules
//
// Client.Get refuses, before any connection is made:
//   - every scheme but https (http, file, ftp, gopher, data, …);
//   - a user name or password in the URL;
//   - any port but 443;
//   - host names that are not fully qualified public names: the metadata
//     service's (metadata, metadata.google.internal), localhost and
//     *.localhost, *.internal, *.local, single-label names (which the
//     resolver's search domains would complete to internal names) and
//     numeric forms that are not proper IP addresses (2130706433, 0x7f.1);
//   - a host whose addresses include any that is not public: loopback
//     (127/8, ::1), private (10/8, 172.16/12, 192.168/16, fc00::/7),
//     link-local (169.254/16 with the metadata address 169.254.169.254,
//     fe80::/10), unspecified, multicast, carrier-grade NAT (100.64/10),
//     reserved and documentation ranges, and IPv6 forms that embed any of
//     these (IPv4-mapped ::ffff:a.b.c.d, IPv4-compatible, NAT64).
//
// The host name is resolved once per connection, every address is checked,
// and the connection is made to a checked address, never to the name, so a
// DNS answer that changes after the check cannot reach anything. TLS still
// verifies the certificate for the name and sends it as SNI and Host. Every
// redirect is checked by the same rules and counted (three at most by
// default), and the Referer header is not passed on. The body is limited in
// size (an oversized document is an error, never silently cut), and the whole
// fetch, from resolving the name to reading the last byte, is bounded by a
// timeout. Proxy settings from the environment are ignored.
//
// Refusals are apperr.Invalid errors whose message names the reason;
// failures of the network or the remote host (no answer, a timeout, a non-2xx
// status) are apperr.Unavailable.
package fetch
