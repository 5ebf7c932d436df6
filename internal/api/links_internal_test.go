package api

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/switchboardhq/switchboard/internal/store"
	"github.com/switchboardhq/switchboard/jobs"
)

// TestLinkAfterAttachWithoutTheLink: when the link an attach job made is
// gone by the time the answer is built (unlinked at once by another
// request), the 200's data comes from the job's outcome: the app, the
// number, ACTIVE and the time the job linked it.
func TestLinkAfterAttachWithoutTheLink(t *testing.T) {
	t.Parallel()
	st, _ := keyedStore(t)
	s := &server{Params: Params{Store: st}}
	linked := time.Date(2026, 12, 2, 3, 4, 5, 0, time.UTC)
	data, err := json.Marshal(jobs.AttachResult{TargetID: "app_1", Numbers: []jobs.NumberOutcome{
		{Number: "+12125551234", Status: jobs.NumberLinked, Provider: jobs.ProviderTwilio, LinkedAt: linked},
	}})
	if err != nil {
		t.Fatal(err)
	}
	got := s.linkAfterAttach(t.Context(), 7, "app_1", "+12125551234", jobs.Outcome{State: jobs.StateSucceeded, Data: data})
	want := newLinkData(store.Link{OrgID: 7, TargetID: "app_1", Status: store.LinkActive, CreatedAt: linked}, "+12125551234")
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("answer without the link (-want +got):\n%s", diff)
	}
	if got.CreatedAt == "" || got.Status != store.LinkActive {
		t.Errorf("answer %+v: want ACTIVE and the job's link time", got)
	}
}
