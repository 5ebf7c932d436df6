package sim_test

import (
	"strings"
	"testing"
	"time"

	"github.com/switchboardhq/switchboard/providers/internal/sim"
)

// faults is a Faults type as the simulators declare theirs.
type faults struct {
	Latency   time.Duration `json:"latency"`
	ErrorRate float64       `json:"error_rate"`
	Empty     bool          `json:"empty_body"`
	Next      int           `json:"rate_limit_next"`
	Skipped   int           `json:"-"`
}

func TestMarshalFaults(t *testing.T) {
	b, err := sim.MarshalFaults(faults{Latency: 150 * time.Millisecond, ErrorRate: 0.25, Next: 2, Skipped: 9})
	if err != nil {
		t.Fatal(err)
	}
	want := `{"latency":"150ms","error_rate":0.25,"empty_body":false,"rate_limit_next":2}`
	if string(b) != want {
		t.Errorf("got  %s\nwant %s", b, want)
	}
}

func TestUnmarshalFaults(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want faults
	}{
		{`{"latency":"1s","error_rate":0.5,"empty_body":true,"rate_limit_next":3}`,
			faults{Latency: time.Second, ErrorRate: 0.5, Empty: true, Next: 3}},
		{`{}`, faults{}},
		{`null`, faults{}},
		{`{"latency":"","error_rate":null}`, faults{}},
		{`{"LATENCY":"2s","latency":"3s"}`, faults{Latency: 3 * time.Second}}, // any case; the last wins
	} {
		f := faults{Latency: time.Hour, Next: 7} // absent fields end up zero
		if err := sim.UnmarshalFaults([]byte(tc.in), &f); err != nil || f != tc.want {
			t.Errorf("%s: %+v, %v; want %+v", tc.in, f, err, tc.want)
		}
	}
}

func TestUnmarshalFaultsRefuses(t *testing.T) {
	for in, wantErr := range map[string]string{
		`{"eror_rate":1}`:       `unknown field "eror_rate"`,
		`{"Skipped":1}`:         `unknown field "Skipped"`,
		`{"latency":"soon"}`:    `latency: time: invalid duration`,
		`{"latency":5}`:         `cannot unmarshal number into Go struct field faults.latency of type string`,
		`{"error_rate":"half"}`: `cannot unmarshal string into Go struct field faults.error_rate of type float64`,
		`[1]`:                   `cannot unmarshal array into Go value of type sim_test.faults`,
	} {
		f := faults{Next: 7}
		err := sim.UnmarshalFaults([]byte(in), &f)
		if err == nil || !strings.Contains(err.Error(), wantErr) {
			t.Errorf("%s: %v, want an error with %q", in, err, wantErr)
		}
		if f != (faults{Next: 7}) {
			t.Errorf("%s: a refused decode changed the faults to %+v", in, f)
		}
	}
}

func TestInvalid(t *testing.T) {
	if err := sim.Invalid("xtest", sim.Problem(false, "a"), nil); err != nil {
		t.Errorf("no problems: %v", err)
	}
	err := sim.Invalid("xtest", sim.Problem(true, "a is wrong"), sim.Problem(false, "b"), sim.Problem(true, "c is wrong"))
	if err == nil || err.Error() != "xtest: invalid faults: a is wrong\nc is wrong" {
		t.Errorf("got %v", err)
	}
}

func TestTake(t *testing.T) {
	n := 2
	got := []bool{sim.Take(&n), sim.Take(&n), sim.Take(&n)}
	if got[0] != true || got[1] != true || got[2] != false || n != 0 {
		t.Errorf("took %v, %d left", got, n)
	}
}
