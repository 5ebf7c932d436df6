package plivo

import "testing"

// TestAppIDOf: the app_id is whatever follows the last /Application/ of
// the number's application URI, whatever precedes it (nothing at all
// included); a URI naming no application, or something below one, gives
// no id, so Lookup reports no application rather than a wrong one.
func TestAppIDOf(t *testing.T) {
	for uri, want := range map[string]string{
		"/v1/Account/MANWVLYTK4ZWU1YTY4ZT/Application/29986316244302815/": "29986316244302815", // as recorded
		"/v1/Account/MANWVLYTK4ZWU1YTY4ZT/Application/29986316244302815":  "29986316244302815",
		"/Application/29986316244302815/":                                 "29986316244302815", // the URI relative to the account
		"":                                                                "",
		"/v1/Account/MANWVLYTK4ZWU1YTY4ZT/":                               "",
		"/v1/Account/MA/Application/1/x/":                                 "",
		"/v1/Account/MA/Number/918000000001":                              "",
	} {
		if got := appIDOf(uri); got != want {
			t.Errorf("appIDOf(%q) = %q, want %q", uri, got, want)
		}
	}
}

// TestLessID: app_ids are ordered by numeric value, so the oldest of
// duplicate applications wins even when ids differ in length ("9" before
// "10", which a string comparison would reverse), and strictly: an id is
// not less than itself.
func TestLessID(t *testing.T) {
	for _, c := range []struct {
		a, b string
		want bool
	}{
		{"9", "10", true},
		{"10", "9", false},
		{"99999999999999999", "100000000000000000", true},
		{"100000000000000000", "99999999999999999", false},
		{"10000000000000001", "10000000000000002", true},
		{"10000000000000002", "10000000000000001", false},
		{"10000000000000001", "10000000000000001", false},
	} {
		if got := lessID(c.a, c.b); got != c.want {
			t.Errorf("lessID(%s, %s) = %v, want %v", c.a, c.b, got, c.want)
		}
	}
}
