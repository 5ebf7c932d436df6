package api_test

import (
	"fmt"
	"testing"

	"github.com/switchboardhq/switchboard/internal/worker/workertest"
)

// TestBatchFailuresPages: ?limit= pages the failures by line, next_after
// names the last line of a page that has more after it, and is null on the
// last page, also when that page is exactly full.
func TestBatchFailuresPages(t *testing.T) {
	env := workertest.Start(t, workertest.Backends()[0].Open(t))
	e := startBatchAPI(t, env)
	// Lines 2 to 4 are invalid numbers: failures known at import, no job runs.
	file := "phone_number,user_id\n"
	for _, n := range []string{"555", "556", "557"} {
		file += n + "," + workertest.UserID + "\n"
	}
	r := e.upload(t, "/v1/batches?provider=twilio", "text/csv", file, nil)
	if r.status != 202 {
		t.Fatalf("POST /v1/batches: %d %s", r.status, r.body)
	}
	id := str(dataOf(r.json(t)), "batch_id")

	page := func(query string) (lines []float64, next any) {
		t.Helper()
		g := e.send(t, "GET", "/v1/batches/"+id+query, xAPIKey(e.key), "")
		if g.status != 200 {
			t.Fatalf("GET %s: %d %s", query, g.status, g.body)
		}
		d := dataOf(g.json(t))
		for _, f := range d["failures"].([]any) {
			lines = append(lines, f.(map[string]any)["line"].(float64))
		}
		return lines, d["next_after"]
	}
	for _, c := range []struct {
		query string
		lines []float64
		next  any
	}{
		{"?limit=2", []float64{2, 3}, float64(3)},
		{"?limit=2&after=3", []float64{4}, nil},
		{"?limit=3", []float64{2, 3, 4}, nil}, // exactly full: nothing after it
		{"?limit=1&after=2", []float64{3}, float64(3)},
		{"", []float64{2, 3, 4}, nil},
	} {
		lines, next := page(c.query)
		if fmt.Sprint(lines) != fmt.Sprint(c.lines) || next != c.next {
			t.Errorf("GET %s: lines %v, next_after %v; want %v, %v", c.query, lines, next, c.lines, c.next)
		}
	}
}
