package batch_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/switchboardhq/switchboard/internal/batch"
	"github.com/switchboardhq/switchboard/internal/store"
	"github.com/switchboardhq/switchboard/jobs"
)

// refusal is what the batch must say about one bad line.
type refusal struct {
	Line         int
	Column, Code string
	Reason       string
}

func number(line int) string { return fmt.Sprintf("+1212555%04d", line) }

// thousandRows builds a 1,000-row CSV file (lines 2-1001) with 50 malformed
// rows, 5 of each kind, and 10 exact repeats of earlier rows, and answers
// what every bad and repeated line must be reported as.
// held are numbers the org already has, one per "already in the org" line.
func thousandRows(e *env, held []string) (string, []refusal, map[int]string) {
	var b strings.Builder
	b.WriteString("phone_number,provider,account,user_id,target_id\n")
	var want []refusal
	skipped := map[int]string{}
	kind := 0
	for line := 2; line <= 1001; line++ {
		n, p, acc, u, tg := number(line), "twilio", "", e.user, ""
		switch {
		case line%20 == 0:
			switch kind % 10 {
			case 0:
				n = ""
				want = append(want, refusal{line, "phone_number", batch.CodeMissingField, "phone_number is required"})
			case 1:
				n = "12ab"
				want = append(want, refusal{line, "phone_number", batch.CodeInvalidNumber, `invalid number: "12ab": letters are not allowed, found 'a'`})
			case 2:
				p = "bandwidth"
				want = append(want, refusal{line, "provider", batch.CodeUnknownProvider, `unknown provider "bandwidth": want twilio, plivo or telnyx`})
			case 3:
				tg = "nope"
				want = append(want, refusal{line, "target_id", batch.CodeUnknownTarget, `unknown target "nope" (not an app or agent of this organization)`})
			case 4:
				u = "ffffffffffffffffffffffff"
				want = append(want, refusal{line, "user_id", batch.CodeUnknownUser, `unknown user "ffffffffffffffffffffffff"`})
			case 5:
				n, tg = number(line-1), e.target
				want = append(want, refusal{line, "phone_number", batch.CodeDuplicate, fmt.Sprintf("duplicate of line %d (the same number with other values)", line-1)})
			case 6:
				n, held = held[0], held[1:]
				want = append(want, refusal{line, "phone_number", batch.CodeNumberInOrg, n + " is already in this organization's inventory"})
			case 7:
				fmt.Fprintf(&b, "%s,twilio,%s\n", n, e.user)
				want = append(want, refusal{line, "", batch.CodeMalformed, "3 fields, the header has 5"})
				kind++
				continue
			case 8:
				u = ""
				want = append(want, refusal{line, "user_id", batch.CodeMissingField, "user_id is required"})
			case 9:
				acc = "AC99999999999999999999999999999999"
				want = append(want, refusal{line, "account", batch.CodeUnknownAccount, `no stored twilio connection for account "AC99999999999999999999999999999999"`})
			}
			kind++
		case line%100 == 51:
			n = number(line - 1) // an exact repeat of the line before
			skipped[line] = fmt.Sprintf("duplicate of line %d", line-1)
		}
		fmt.Fprintf(&b, "%s,%s,%s,%s,%s\n", n, p, acc, u, tg)
	}
	return b.String(), want, skipped
}

func TestThousandRowsFiftyMalformed(t *testing.T) {
	eachBackend(t, func(t *testing.T, e *env) {
		ctx := t.Context()
		// Numbers the org has, so that "already in the org" has lines.
		var held []string
		for i := range 5 {
			n := fmt.Sprintf("+1213555000%d", i)
			_, err := e.store.CreateNumber(ctx, store.Number{ID: store.NewID(), OrgID: e.org, UserID: e.user, E164: n,
				Provider: jobs.ProviderTwilio, ConnectionID: e.conn.ID, ProviderRef: fmt.Sprint("PN", i), JobID: "j", State: store.NumberActive})
			must(t, err)
			held = append(held, n)
		}
		file, want, skipped := thousandRows(e, held)
		if len(want) != 50 || len(skipped) != 10 {
			t.Fatalf("fixture has %d malformed rows and %d repeats, want 50 and 10", len(want), len(skipped))
		}
		r, err := batch.NewReader(strings.NewReader(file), batch.CSV)
		must(t, err)
		b, err := e.im.Import(ctx, store.Batch{ID: "bat_thousand", OrgID: e.org}, r)
		must(t, err)
		if b.State != store.BatchImported || b.Rows != 1000 {
			t.Errorf("batch = %+v, want imported with 1000 rows", b)
		}

		rows := allRows(t, e, b.ID)
		var got []refusal
		gotSkipped := map[int]string{}
		for _, r := range rows {
			switch r.Status {
			case store.RowInvalid:
				got = append(got, refusal{r.Line, r.Column, r.Code, r.Reason})
			case store.RowSkipped:
				gotSkipped[r.Line] = r.Reason
			}
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("refused rows (-want +got):\n%s", diff)
		}
		if diff := cmp.Diff(skipped, gotSkipped); diff != "" {
			t.Errorf("skipped rows (-want +got):\n%s", diff)
		}
		good := 1000 - len(want) - len(skipped)
		counts, err := e.store.CountBatchRows(ctx, e.org, b.ID)
		must(t, err)
		if counts.ByStatus[store.RowQueued] != good || counts.ByStatus[store.RowPending] != 0 {
			t.Errorf("counts = %v, want %d queued, none pending", counts.ByStatus, good)
		}
		// Exactly the good rows are enqueued, on the bulk queue, under their ids.
		pending, err := e.insp.ListPendingTasks(jobs.QueueBulk, asynqPage(2000))
		must(t, err)
		if len(pending) != good {
			t.Errorf("%d tasks in the bulk queue, want %d", len(pending), good)
		}
		for _, ti := range pending {
			var line, run int
			if _, err := fmt.Sscanf(strings.TrimPrefix(ti.ID, b.ID+"-"), "%d.%d", &line, &run); err != nil || run != 0 {
				t.Errorf("task id %q is not %s-<line>.0", ti.ID, b.ID)
			}
			if line%20 == 0 || skipped[line] != "" {
				t.Errorf("line %d was enqueued", line)
			}
		}
	})
}
