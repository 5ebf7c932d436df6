package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// walkthroughFile is the README's one-liner that writes numbers.csv: the
// 1,000 extra Twilio sandbox numbers of dev --sandbox-numbers 1000, for
// the dev user.
const walkthroughFile = `{ echo phone_number,user_id; seq -f '+1212600%04g,64e5f12345abcdef12345678' 0 999; } > numbers.csv`

// TestReadmeImportWalkthrough runs the README's walk-through: dev with
// 1,000 extra sandbox numbers, the banner's add-phone (which stores the
// Twilio connection), the documented one-liner for numbers.csv, and one
// switchboard import --wait against dev's database and Redis: all 1,000
// rows succeed.
func TestReadmeImportWalkthrough(t *testing.T) {
	if testing.Short() {
		t.Skip("imports 1,000 numbers through dev")
	}
	if _, err := exec.LookPath("seq"); err != nil {
		t.Skip("no seq")
	}
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(readme), walkthroughFile) {
		t.Fatalf("README lacks the one-liner %q", walkthroughFile)
	}
	base, stdout, cancel, _ := startDev(t, "--sandbox-numbers", "1000")
	defer cancel()
	banner := stdout.String()
	redisURL := regexp.MustCompile(`redis:\s+(redis://\S+)`).FindStringSubmatch(banner)
	database := regexp.MustCompile(`database:\s+(sqlite:\S+)`).FindStringSubmatch(banner)
	if redisURL == nil || database == nil {
		t.Fatalf("banner without the redis and database URLs:\n%s", banner)
	}
	if code, body := devAddPhone(t, base, `{"userId":"64e5f12345abcdef12345678","phoneNumber":"12125551234","integration":"twilio","authToken":"sandboxtwiliotoken","accSId":"AC00000000000000000000000000000001"}`); code != 201 {
		t.Fatalf("the banner's add-phone: %d %s", code, body)
	}
	dir := t.TempDir()
	sh := exec.Command("sh", "-c", walkthroughFile)
	sh.Dir = dir
	if out, err := sh.CombinedOutput(); err != nil {
		t.Fatalf("one-liner: %v %s", err, out)
	}
	var out syncBuffer
	start := time.Now()
	err = run(t.Context(), []string{"import", filepath.Join(dir, "numbers.csv"), "--org", "dev", "--provider", "twilio", "--wait",
		"--database", database[1], "--redis", redisURL[1]}, env(nil), &out, &out)
	if err != nil || !strings.Contains(out.String(), "succeeded 1000, failed 0, refused 0") {
		t.Fatalf("import: %v\n%s", err, out.String())
	}
	t.Logf("1,000 sandbox numbers imported in %v", time.Since(start).Round(time.Millisecond))
}
