package jobs_test

import (
	"strings"
	"testing"

	"github.com/switchboardhq/switchboard/jobs"
)

// TestParseKeyRingNamesTheBadKey: a malformed entry is named by its
// position, counting from 1, so an operator knows which of the listed keys
// to fix (the error never shows the key itself).
func TestParseKeyRingNamesTheBadKey(t *testing.T) {
	t.Parallel()
	for ring, want := range map[string]string{
		"no-colon":                                   "jobs: key 1: ",
		"k1:" + stdKey(1) + ",bad id!:x":             "jobs: key 2: ",
		"k1:" + stdKey(1) + ",k2:" + stdKey(2) + ",": "jobs: key 3: ",
	} {
		_, err := jobs.ParseKeyRing(ring)
		if err == nil || !strings.HasPrefix(err.Error(), want) {
			t.Errorf("ParseKeyRing(%d entries) = %v, want an error starting %q", strings.Count(ring, ",")+1, err, want)
		}
	}
}
