package jobs_test

import (
	"testing"
	"time"

	"github.com/switchboardhq/switchboard/jobs"
)

// TestDocumentedDefaults: the enqueue defaults are the figures docs/jobs.md
// gives (at most 10 retries, a 2-minute attempt, a 24h retention). Other
// tests compare tasks with the constants themselves, so a changed constant
// would pass them; gremlins cannot mutate a const declaration either.
func TestDocumentedDefaults(t *testing.T) {
	if jobs.DefaultMaxRetry != 10 || jobs.DefaultTimeout != 2*time.Minute || jobs.DefaultRetention != 24*time.Hour {
		t.Errorf("MaxRetry %d, Timeout %v, Retention %v; docs/jobs.md says 10, 2m0s, 24h0m0s",
			jobs.DefaultMaxRetry, jobs.DefaultTimeout, jobs.DefaultRetention)
	}
}
