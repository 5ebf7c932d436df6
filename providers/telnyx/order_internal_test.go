package telnyx

import (
	"strings"
	"testing"
)

// TestCompareApplications: of applications with the same name, the oldest
// wins, then the smallest id as a decimal number (a shorter id is smaller);
// one whose created_at cannot be read sorts after every readable one.
func TestCompareApplications(t *testing.T) {
	app := func(id, created string) application { return application{ID: id, CreatedAt: created} }
	const early, late = "2026-01-01T00:00:00Z", "2026-06-01T00:00:00.5Z"
	for _, c := range []struct {
		name string
		a, b application
		want int // the sign of compareApplications(a, b)
	}{
		{"older first", app("9", early), app("1", late), -1},
		{"newer after", app("1", late), app("9", early), 1},
		{"same time, shorter id first", app("99", early), app("100", early), -1},
		{"same time, longer id after", app("100", early), app("99", early), 1},
		{"same time and length, smaller id first", app("123", early), app("124", early), -1},
		{"same application", app("123", early), app("123", early), 0},
		{"unreadable after readable", app("1", "yesterday"), app("9", late), 1},
		{"readable before unreadable", app("9", late), app("1", ""), -1},
		{"both unreadable: by id", app("12", "x"), app("3", "y"), 1},
	} {
		got := compareApplications(c.a, c.b)
		if sign(got) != c.want {
			t.Errorf("%s: compareApplications(%v, %v) = %d, want sign %d", c.name, c.a.ID, c.b.ID, got, c.want)
		}
	}
}

func sign(n int) int {
	switch {
	case n < 0:
		return -1
	case n > 0:
		return 1
	}
	return 0
}

// TestErrorWords: a response error names each error's code, title and,
// when there is one, the field it points at; the message taken from a body
// keeps at most maxMessage bytes and says it was cut.
func TestErrorWords(t *testing.T) {
	re := &responseError{Status: 422, Errors: []apiError{{Code: "10015", Title: "Invalid value"}, {Code: "10016", Title: "Missing"}}}
	re.Errors[0].Source.Pointer = "/connection_id"
	if got, want := re.Error(), "HTTP 422; 10015 Invalid value at /connection_id; 10016 Missing"; got != want {
		t.Errorf("Error() = %q, want %q", got, want)
	}
	long := &responseError{Status: 400, Errors: []apiError{{Detail: strings.Repeat("x", maxMessage)}}}
	if got := message(long); got != strings.Repeat("x", maxMessage) {
		t.Errorf("a detail of exactly maxMessage bytes became %d bytes: %.20q…", len(got), got)
	}
	long.Errors[0].Detail += "y"
	if got, want := message(long), strings.Repeat("x", maxMessage)+"..."; got != want {
		t.Errorf("a detail of maxMessage+1 bytes: %d bytes %.20q…, want the first maxMessage and ...", len(got), got)
	}
}
