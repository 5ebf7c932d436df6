package plivo

import "testing"

func TestSubaccountID(t *testing.T) {
	for v, want := range map[string]struct {
		id string
		ok bool
	}{
		"":                     {"", true},
		"SA2025RK4E639VJFZAMM": {"SA2025RK4E639VJFZAMM", true},
		"/v1/Account/MA2025RK4E639VJFZAGV/Subaccount/SA2025RK4E639VJFZAMM/": {"SA2025RK4E639VJFZAMM", true},
		"/v1/Account/MA2025RK4E639VJFZAGV/":                                 {"", false},
		"SA":                                                                {"", false},
		"SA12-34":                                                           {"", false},
		"SA1":                                                               {"SA1", true},
		"/v1/Account/MA2025RK4E639VJFZAGV/Subaccount/SA1/": {"SA1", true},
	} {
		id, ok := subaccountID(&v)
		if id != want.id || ok != want.ok {
			t.Errorf("%q: %q %v, want %q %v", v, id, ok, want.id, want.ok)
		}
	}
	if id, ok := subaccountID(nil); id != "" || !ok {
		t.Errorf("null: %q %v", id, ok)
	}
}
