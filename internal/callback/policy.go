package callback

import (
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strings"
	"syscall"
	"time"
)

// ErrForbiddenAddress is wrapped by the errors of URLs and connections
// aimed at switchboard's own side of the network (loopback, private,
// link-local, metadata...).
var ErrForbiddenAddress = errors.New("callback: address is not public")

// Policy decides which callback URLs switchboard calls. The zero value is
// the production policy: public addresses only.
type Policy struct {
	// AllowPrivate lets callbacks reach loopback and private networks: for
	// development and tests, where the receiver runs beside switchboard.
	AllowPrivate bool
}

// CheckURL reports why raw is not an acceptable callback URL: it must be
// absolute http or https with a host and without credentials, and, unless
// AllowPrivate, its host must not be a non-public IP literal (see
// publicAddr), "localhost" or a name under .localhost, or a numeric form
// some resolvers read as an IP ("127.1", "2130706433").
//
// A name is not resolved here: what it resolves to can change before the
// callback is sent (DNS rebinding). Client checks the address it actually
// connects to.
func (p Policy) CheckURL(raw string) error {
	u, err := url.Parse(raw)
	if err != nil {
		return fmt.Errorf("callback: URL does not parse")
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return fmt.Errorf("callback: URL scheme must be http or https")
	}
	if u.Opaque != "" || u.Host == "" || u.Hostname() == "" {
		return fmt.Errorf("callback: URL has no host")
	}
	// Credentials in a URL end up in logs and in the job record.
	if u.User != nil {
		return fmt.Errorf("callback: URL must not contain a user or password")
	}
	if p.AllowPrivate {
		return nil
	}
	host := strings.TrimSuffix(strings.ToLower(u.Hostname()), ".")
	if host == "localhost" || strings.HasSuffix(host, ".localhost") {
		return fmt.Errorf("%w: %s", ErrForbiddenAddress, host)
	}
	if a, err := netip.ParseAddr(host); err == nil {
		if !publicAddr(a) {
			return fmt.Errorf("%w: %s", ErrForbiddenAddress, a)
		}
		return nil
	}
	// No top-level domain is numeric, so a host whose last label is a
	// number is an IPv4 address in a form Go does not parse but C
	// resolvers may (inet_aton: "127.1", "0x7f.1", "2130706433").
	labels := strings.Split(host, ".")
	if last := labels[len(labels)-1]; last != "" && (isDigits(last) || strings.HasPrefix(last, "0x")) {
		return fmt.Errorf("%w: %s is a numeric host", ErrForbiddenAddress, host)
	}
	return nil
}

func isDigits(s string) bool {
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}

// publicAddr reports whether a is an address a callback may connect to:
// not loopback, private (RFC 1918, RFC 4193 fc00::/7), link-local (which
// holds the cloud metadata service 169.254.169.254), unspecified,
// multicast, shared CGNAT space (100.64.0.0/10), "this network"
// (0.0.0.0/8, which Linux routes to the local host), or another reserved
// block. IPv4 addresses embedded in IPv6 (mapped, NAT64) are judged as the
// IPv4 address they reach.
func publicAddr(a netip.Addr) bool {
	a = a.Unmap()
	if a.Is6() {
		b := a.As16()
		// NAT64 (RFC 6052 well-known prefix 64:ff9b::/96) reaches the
		// embedded IPv4 address.
		if netip.PrefixFrom(netip.AddrFrom16([16]byte{0, 0x64, 0xff, 0x9b}), 96).Contains(a) {
			return publicAddr(netip.AddrFrom4([4]byte(b[12:])))
		}
		for _, p := range []netip.Prefix{
			netip.PrefixFrom(netip.IPv6Unspecified(), 96),                               // ::/96: unspecified, loopback, IPv4-compatible
			netip.PrefixFrom(netip.AddrFrom16([16]byte{0, 0x64, 0xff, 0x9b, 0, 1}), 48), // 64:ff9b:1::/48, local-use NAT64
			netip.PrefixFrom(netip.AddrFrom16([16]byte{0xfe, 0xc0}), 10),                // fec0::/10, deprecated site-local
			netip.PrefixFrom(netip.AddrFrom16([16]byte{0x20, 0x01, 0x0d, 0xb8}), 32),    // 2001:db8::/32, documentation
		} {
			if p.Contains(a) {
				return false
			}
		}
	}
	if a.IsLoopback() || a.IsPrivate() || a.IsLinkLocalUnicast() || a.IsLinkLocalMulticast() ||
		a.IsInterfaceLocalMulticast() || a.IsMulticast() || a.IsUnspecified() || !a.IsValid() {
		return false
	}
	if a.Is4() {
		for _, p := range []netip.Prefix{
			netip.PrefixFrom(netip.AddrFrom4([4]byte{0, 0, 0, 0}), 8),       // "this network"
			netip.PrefixFrom(netip.AddrFrom4([4]byte{100, 64, 0, 0}), 10),   // shared address space (CGNAT)
			netip.PrefixFrom(netip.AddrFrom4([4]byte{192, 0, 0, 0}), 24),    // IETF protocol assignments
			netip.PrefixFrom(netip.AddrFrom4([4]byte{192, 0, 2, 0}), 24),    // documentation
			netip.PrefixFrom(netip.AddrFrom4([4]byte{198, 18, 0, 0}), 15),   // benchmarking
			netip.PrefixFrom(netip.AddrFrom4([4]byte{198, 51, 100, 0}), 24), // documentation
			netip.PrefixFrom(netip.AddrFrom4([4]byte{203, 0, 113, 0}), 24),  // documentation
			netip.PrefixFrom(netip.AddrFrom4([4]byte{240, 0, 0, 0}), 4),     // reserved, broadcast
		} {
			if p.Contains(a) {
				return false
			}
		}
	}
	return true
}

// Control is the net.Dialer Control function of Client: it refuses a
// connection to a non-public address, unless AllowPrivate. It runs after
// DNS resolution, on the address about to be connected, so a public name
// that resolves (or rebinds) to a private address is refused too.
func (p Policy) Control(network, address string, _ syscall.RawConn) error {
	if p.AllowPrivate {
		return nil
	}
	ap, err := netip.ParseAddrPort(address)
	if err != nil {
		return fmt.Errorf("%w: cannot parse %q", ErrForbiddenAddress, address)
	}
	if !publicAddr(ap.Addr()) {
		return fmt.Errorf("%w: %s", ErrForbiddenAddress, ap.Addr())
	}
	return nil
}

// Client returns the HTTP client to deliver callbacks with: timeout bounds
// each request, connections are checked by Control, and redirects are not
// followed (a redirect would lead past CheckURL; the 3xx is the answer).
//
// It ignores HTTP_PROXY and HTTPS_PROXY: through a proxy, Control would
// check the proxy's address instead of the receiver's.
func (p Policy) Client(timeout time.Duration) *http.Client {
	d := &net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second, Control: p.Control}
	t := &http.Transport{
		Proxy:                 nil,
		DialContext:           d.DialContext,
		ForceAttemptHTTP2:     true,
		MaxIdleConns:          100,
		MaxIdleConnsPerHost:   4,
		IdleConnTimeout:       90 * time.Second,
		TLSHandshakeTimeout:   10 * time.Second,
		ExpectContinueTimeout: time.Second,
	}
	return &http.Client{
		Transport:     t,
		Timeout:       timeout,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}
