package jobs_test

import (
	"testing"

	"github.com/switchboardhq/switchboard/jobs"
)

// TestReconcileValidate: a reconcile payload needs an org and a number; the
// worker refuses one without them before reading the provider.
func TestReconcileValidate(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name    string
		p       jobs.Reconcile
		wantErr string
	}{
		{"valid", jobs.Reconcile{OrgID: 1, Number: "+12125551234"}, ""},
		{"org id zero", jobs.Reconcile{OrgID: 0, Number: "+12125551234"}, "org_id"},
		{"org id negative", jobs.Reconcile{OrgID: -1, Number: "+12125551234"}, "org_id"},
		{"number empty", jobs.Reconcile{OrgID: 1}, "number"},
		{"number blank", jobs.Reconcile{OrgID: 1, Number: " \t"}, "number"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			checkValidate(t, tt.p, tt.wantErr)
		})
	}
}
