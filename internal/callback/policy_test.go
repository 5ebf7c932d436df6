package callback

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"testing"
	"time"
)

func TestCheckURL(t *testing.T) {
	cases := []struct {
		url string
		// ok under the production policy, and with AllowPrivate.
		public, private bool
	}{
		{"https://example.com/hooks/switchboard?token=abc", true, true},
		{"http://api.example.org:8443/cb", true, true},
		{"https://93.184.216.34/cb", true, true},
		{"https://[2606:4700::1111]/cb", true, true},
		{"http://127.0.0.1/cb", false, true},
		{"http://127.0.0.2:8080/cb", false, true},
		{"http://10.1.2.3/cb", false, true},
		{"http://192.168.1.1/cb", false, true},
		{"http://172.16.0.1/cb", false, true},
		{"http://172.31.255.255/cb", false, true},
		{"http://[::1]/cb", false, true},
		{"http://[fc00::1]/cb", false, true},
		{"http://[fd12:3456::1]/cb", false, true},
		{"http://[fe80::1]/cb", false, true},
		{"http://[::ffff:127.0.0.1]/cb", false, true},
		{"http://[64:ff9b::a00:1]/cb", false, true}, // NAT64 of 10.0.0.1
		{"http://169.254.169.254/latest/meta-data/", false, true},
		{"http://100.64.0.1/cb", false, true},
		{"http://0.0.0.0/cb", false, true},
		{"http://[::]/cb", false, true},
		{"http://localhost/cb", false, true},
		{"http://LOCALHOST./cb", false, true},
		{"http://foo.localhost/cb", false, true},
		{"http://127.1/cb", false, true},
		{"http://2130706433/cb", false, true},
		{"http://0x7f.0x1/cb", false, true},
		{"ftp://example.com/cb", false, false},
		{"file:///etc/passwd", false, false},
		{"javascript:alert(1)", false, false},
		{"example.com/cb", false, false},
		{"https://user:pass@example.com/cb", false, false},
		{"https://user@example.com/cb", false, false},
		{"https:///cb", false, false},
		{"http://:80/cb", false, false},
		{"http://exa mple.com/", false, false},
		{"", false, false},
	}
	for _, c := range cases {
		for _, p := range []Policy{{}, {AllowPrivate: true}} {
			want := c.public
			if p.AllowPrivate {
				want = c.private
			}
			err := p.CheckURL(c.url)
			if (err == nil) != want {
				t.Errorf("%+v.CheckURL(%q) = %v, want ok=%v", p, c.url, err, want)
			}
		}
	}
	if err := (Policy{}).CheckURL("http://10.0.0.1/"); !errors.Is(err, ErrForbiddenAddress) {
		t.Errorf("private address: %v, want ErrForbiddenAddress", err)
	}
}

func TestControl(t *testing.T) {
	for addr, public := range map[string]bool{
		"93.184.216.34:443":       true,
		"[2606:4700::1111]:443":   true,
		"127.0.0.1:80":            false,
		"[::1]:80":                false,
		"10.0.0.1:443":            false,
		"169.254.169.254:80":      false,
		"100.100.100.100:80":      false,
		"[::ffff:192.168.0.1]:80": false,
		"not-an-address":          false,
	} {
		err := Policy{}.Control("tcp", addr, nil)
		if (err == nil) != public {
			t.Errorf("Control(%q) = %v, want allowed=%v", addr, err, public)
		}
		if err != nil && !errors.Is(err, ErrForbiddenAddress) {
			t.Errorf("Control(%q) = %v, want ErrForbiddenAddress", addr, err)
		}
		if err := (Policy{AllowPrivate: true}).Control("tcp", addr, nil); err != nil {
			t.Errorf("AllowPrivate: Control(%q) = %v", addr, err)
		}
	}
}

func TestPublicAddr(t *testing.T) {
	for s, want := range map[string]bool{
		"8.8.8.8": true, "1.1.1.1": true, "2001:4860:4860::8888": true,
		"255.255.255.255": false, "224.0.0.1": false, "ff02::1": false, "198.18.0.1": false,
		"192.0.2.1": false, "2001:db8::1": false, "fec0::1": false, "::127.0.0.1": false,
		"64:ff9b::808:808": true, // NAT64 of 8.8.8.8
	} {
		if got := publicAddr(netip.MustParseAddr(s)); got != want {
			t.Errorf("publicAddr(%s) = %v, want %v", s, got, want)
		}
	}
}

// The dial check catches what CheckURL cannot: a name that resolves to a
// private address. "localhost" resolves to loopback without a network.
func TestClientRefusesPrivateAtConnect(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	defer srv.Close()
	ctx := context.Background()

	get := func(p Policy, url string) error {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		resp, err := p.Client(5 * time.Second).Do(req)
		if err == nil {
			resp.Body.Close()
		}
		return err
	}
	if err := get(Policy{}, srv.URL); !errors.Is(err, ErrForbiddenAddress) {
		t.Errorf("production policy reached %s: %v", srv.URL, err)
	}
	u, _ := url.Parse(srv.URL)
	if err := get(Policy{}, "http://localhost:"+u.Port()+"/"); !errors.Is(err, ErrForbiddenAddress) {
		t.Errorf("production policy reached localhost: %v", err)
	}
	if err := get(Policy{AllowPrivate: true}, srv.URL); err != nil {
		t.Errorf("AllowPrivate could not reach %s: %v", srv.URL, err)
	}
}

func TestClientDoesNotFollowRedirects(t *testing.T) {
	hits := 0
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits++
		http.Redirect(w, r, "/elsewhere", http.StatusFound)
	}))
	defer srv.Close()
	resp, err := Policy{AllowPrivate: true}.Client(5 * time.Second).Get(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusFound || hits != 1 {
		t.Fatalf("status %d after %d requests, want the 302 itself", resp.StatusCode, hits)
	}
}
