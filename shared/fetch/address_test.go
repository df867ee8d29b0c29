package fetch

import (
	"net"
	"net/netip"
	"testing"
	"time"
)

func TestAddressRules(t *testing.T) {
	tests := []struct {
		addr string
		want string // "" for a public address
	}{
		{"93.184.216.34", ""},
		{"8.8.8.8", ""},
		{"142.250.185.78", ""},
		{"2a00:1450:4001:82a::200e", ""},
		{"2606:4700::6810:85e5", ""},
		{"64:ff9b::808:808", ""}, // NAT64 for 8.8.8.8

		{"127.0.0.1", loopback},
		{"127.255.255.254", loopback},
		{"::1", loopback},
		{"10.0.0.1", private},
		{"172.16.0.1", private},
		{"172.31.255.255", private},
		{"192.168.1.1", private},
		{"fc00::1", private},
		{"fd00:ec2::254", private},
		{"169.254.169.254", metadataIP},
		{"169.254.0.1", linkLocal},
		{"fe80::1", linkLocal},
		{"fe80::1%eth0", linkLocal},
		{"0.0.0.0", unspecified},
		{"0.1.2.3", unspecified},
		{"::", unspecified},
		{"224.0.0.1", multicast},
		{"239.255.255.250", multicast},
		{"ff02::1", multicast},
		{"100.64.0.1", sharedNAT},
		{"100.127.255.255", sharedNAT},
		{"192.0.2.1", reserved},
		{"198.18.0.1", reserved},
		{"240.0.0.1", reserved},
		{"255.255.255.255", reserved},
		{"2001:db8::1", reserved},
		{"2001:0:4136:e378:8000:63bf:3fff:fdd2", reserved}, // Teredo
		{"2002:7f00:1::1", reserved},                       // 6to4 of 127.0.0.1
		{"fec0::1", reserved},                              // site-local
		{"100::1", reserved},                               // discard

		// IPv6 forms that embed an IPv4 address are judged by it.
		{"::ffff:127.0.0.1", loopback},
		{"::ffff:10.0.0.1", private},
		{"::ffff:172.16.0.1", private},
		{"::ffff:192.168.0.1", private},
		{"::ffff:169.254.169.254", metadataIP},
		{"::ffff:a9fe:a9fe", metadataIP},
		{"::ffff:169.254.1.1", linkLocal},
		{"::ffff:0.0.0.0", unspecified},
		{"::ffff:224.0.0.1", multicast},
		{"::ffff:100.64.0.1", sharedNAT},
		{"::127.0.0.1", loopback},          // IPv4-compatible
		{"64:ff9b::a9fe:a9fe", metadataIP}, // NAT64
		{"64:ff9b::10.0.0.1", private},     // NAT64
		{"64:ff9b:1::10.0.0.1", reserved},  // local-use NAT64
	}
	for _, tt := range tests {
		t.Run(tt.addr, func(t *testing.T) {
			if got := classify(netip.MustParseAddr(tt.addr)); got != tt.want {
				t.Errorf("classify(%s) = %q, want %q", tt.addr, got, tt.want)
			}
		})
	}
}

func TestAllowLoopbackOpensOnlyLoopback(t *testing.T) {
	for addr, want := range map[string]string{
		"127.0.0.1":        "",
		"::1":              "",
		"::ffff:127.0.0.1": "",
		"10.0.0.1":         private,
		"169.254.169.254":  metadataIP,
		"0.0.0.0":          unspecified,
	} {
		if got := refusal(netip.MustParseAddr(addr), true); got != want {
			t.Errorf("refusal(%s, allowLoopback) = %q, want %q", addr, got, want)
		}
	}
}

func TestHostNames(t *testing.T) {
	tests := []struct {
		host string
		ok   bool
	}{
		{"docs.google.com", true},
		{"doc-0g-5c-sheets.googleusercontent.com", true},
		{"sheet.example", true},
		{"Sheet.Example.", true},
		{"under_score.example", true},

		{"metadata", false},
		{"metadata.google.internal", false},
		{"METADATA.GOOGLE.INTERNAL.", false},
		{"localhost", false},
		{"api.localhost", false},
		{"db.internal", false},
		{"printer.local", false},
		{"nas.home.arpa", false},
		{"intranet", false},
		{"2130706433", false},
		{"017700000001", false},
		{"0x7f.1", false},
		{"127.1", false},
		{"0x7f000001", false},
		{"a..example", false},
		{"-bad.example", false},
		{"bad host.example", false},
		{"bücher.example", false},
	}
	for _, tt := range tests {
		t.Run(tt.host, func(t *testing.T) {
			if err := checkName(tt.host); (err == nil) != tt.ok {
				t.Errorf("checkName(%q) = %v, want ok=%v", tt.host, err, tt.ok)
			}
		})
	}
}

func TestDefaults(t *testing.T) {
	c := New(Options{})
	if c.opts.MaxBytes != 5<<20 || c.opts.Timeout != 15*time.Second || c.opts.MaxRedirects != 3 {
		t.Errorf("defaults = %d bytes, %s, %d redirects; want 5 MiB, 15s, 3", c.opts.MaxBytes, c.opts.Timeout, c.opts.MaxRedirects)
	}
	if c.opts.Resolver != net.DefaultResolver || c.opts.Dial == nil {
		t.Error("the default resolver and dialer are not set")
	}
	if c := New(Options{MaxRedirects: -1}); c.opts.MaxRedirects != 0 {
		t.Errorf("MaxRedirects -1 follows %d redirects, want none", c.opts.MaxRedirects)
	}
}
