package admin_test

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/switchboardhq/switchboard/providers/twilio/twiliotest"
)

// screenshotsEnv names a directory the browser test saves its screenshots
// in (the README's docs/admin-*.png come from
// SWITCHBOARD_TEST_ADMIN_SCREENSHOTS=$PWD/docs go test ./internal/admin -run Browser).
const screenshotsEnv = "SWITCHBOARD_TEST_ADMIN_SCREENSHOTS"

// chromiumPath finds Debian's chromium; without it the test skips, unless
// services are required (CI), where it fails.
func chromiumPath(t *testing.T) string {
	for _, name := range []string{"chromium", "chromium-browser"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if os.Getenv("SWITCHBOARD_TEST_REQUIRE_SERVICES") == "1" {
		t.Fatal("chromium is not installed (apt-get install -y chromium; .ci/run does it)")
	}
	t.Skip("chromium is not installed (apt-get install -y chromium)")
	return ""
}

func newBrowser(t *testing.T) context.Context {
	t.Helper()
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(chromiumPath(t)),
		chromedp.Headless, chromedp.NoSandbox, chromedp.DisableGPU,
		chromedp.Flag("disable-background-networking", true),
		chromedp.WindowSize(1280, 900),
	)
	alloc, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	t.Cleanup(cancelAlloc)
	ctx, cancel := chromedp.NewContext(alloc)
	t.Cleanup(cancel)
	ctx, cancelTimeout := context.WithTimeout(ctx, 2*time.Minute) // generous: CI machines are shared
	t.Cleanup(cancelTimeout)
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("start chromium: %v", err)
	}
	return ctx
}

// do runs actions in the browser, failing the test on an error.
func do(t *testing.T, ctx context.Context, what string, actions ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	if err := chromedp.Do(ctx, actions...); err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

// get runs one action that answers a value.
func get[T any](t *testing.T, ctx context.Context, what string, a chromedp.Action[T]) T {
	t.Helper()
	v, err := chromedp.Run(ctx, a)
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
	return v
}

func screenshot(t *testing.T, ctx context.Context, name string) {
	t.Helper()
	dir := os.Getenv(screenshotsEnv)
	if dir == "" {
		return
	}
	png := get(t, ctx, "screenshot "+name, chromedp.FullScreenshot(100))
	if err := os.WriteFile(filepath.Join(dir, name), png, 0o644); err != nil {
		t.Fatal(err)
	}
}

func browserLogin(t *testing.T, ctx context.Context, base, user, password string) {
	t.Helper()
	do(t, ctx, "log in as "+user,
		chromedp.Navigate(base+"/admin/login"),
		chromedp.SendKeys(chromedp.ID("user"), user),
		chromedp.SendKeys(chromedp.ID("password"), password),
		chromedp.Click(chromedp.CSS(`form.login button[type="submit"]`)),
		chromedp.WaitVisible(chromedp.ID("live")),
	)
}

// noOverflow fails when the page is wider than the window (a phone
// would have to scroll sideways for the page itself, not just a table).
const noOverflow = `document.documentElement.scrollWidth <= window.innerWidth`

// unnamedControls lists visible controls without an accessible name.
const unnamedControls = `Array.from(document.querySelectorAll('input:not([type=hidden]), select, button, a')).filter(function (e) {
	var name = (e.getAttribute('aria-label') || e.innerText || '').trim();
	if (!name && e.id) { var l = document.querySelector('label[for="' + e.id + '"]'); if (l) { name = l.innerText.trim(); } }
	if (!name && e.closest('label')) { name = e.closest('label').innerText.trim(); }
	return !name;
}).map(function (e) { return e.outerHTML.slice(0, 80); })`

// TestBrowserRetryAfterOutage is the dashboard end to end in headless
// Chromium: a job fails because the provider is down; an operator sees
// why in plain words, clears the fault, retries and sees it succeed; a
// viewer sees no retry button and is refused when posting the form.
func TestBrowserRetryAfterOutage(t *testing.T) {
	d := newDash(t)
	ctx := newBrowser(t)
	job := d.failOutage(t, twiliotest.SandboxNumberNYC)
	base := d.srv.URL

	browserLogin(t, ctx, base, operatorName, operatorPassword)
	overview := get(t, ctx, "overview", chromedp.Text(chromedp.ID("live")))
	if !strings.Contains(overview, "Provider outage") {
		t.Errorf("overview does not group the failure as a provider outage:\n%s", overview)
	}
	screenshot(t, ctx, "admin-overview.png")
	// The overview updates itself: another failure shows up without a reload.
	d.failOutage(t, twiliotest.SandboxNumberDC)
	get(t, ctx, "live update", chromedp.Poll[bool](`document.getElementById('live').innerText.includes('Failures in the last hour: 2')`,
		chromedp.WithPollingTimeout(15*time.Second)))

	do(t, ctx, "failed job page", chromedp.Navigate(base+d.jobPath(job)))
	reason := get(t, ctx, "reason", chromedp.Text(chromedp.ID("reason")))
	why := get(t, ctx, "why", chromedp.Text(chromedp.CSS(".why")))
	if reason != "Provider outage" || !strings.Contains(why, "provider was down") {
		t.Errorf("job page says %q / %q, want the provider outage in plain words", reason, why)
	}
	if unnamed := get(t, ctx, "accessible names", chromedp.Evaluate[[]string](unnamedControls)); len(unnamed) > 0 {
		t.Errorf("controls without an accessible name: %v", unnamed)
	}
	screenshot(t, ctx, "admin-failed-job.png")
	do(t, ctx, "phone width", chromedp.EmulateViewport(390, 844), chromedp.Reload(), chromedp.WaitVisible(chromedp.ID("retry")))
	if !get(t, ctx, "fits", chromedp.Evaluate[bool](noOverflow)) {
		t.Error("the job page is wider than a 390 px phone screen")
	}
	do(t, ctx, "desktop width", chromedp.EmulateViewport(1280, 900))

	d.setFaults(t, `{}`) // the provider is back: what /sandbox/_faults/twilio does in dev
	do(t, ctx, "retry", chromedp.Click(chromedp.ID("retry")), chromedp.WaitVisible(chromedp.CSS(".notice")))
	if notice := get(t, ctx, "notice", chromedp.Text(chromedp.CSS(".notice"))); !strings.Contains(notice, "retried") {
		t.Fatalf("after retry the page says %q, want retried", notice)
	}
	runs := waitRuns(t, d, job.Request, 2)
	do(t, ctx, "the new run", chromedp.Navigate(base+"/admin/jobs/"+itoa(d.env.OrgID)+"/"+runs[0].ID))
	if state := get(t, ctx, "state", chromedp.Text(chromedp.ID("job-state"))); state != "succeeded" {
		t.Errorf("the retried run shows %q, want succeeded", state)
	}

	do(t, ctx, "log out", chromedp.Click(chromedp.CSS(".who button")), chromedp.WaitVisible(chromedp.ID("user")))
	browserLogin(t, ctx, base, viewerName, viewerPassword)
	do(t, ctx, "viewer's job page", chromedp.Navigate(base+d.jobPath(job)), chromedp.WaitVisible(chromedp.ID("reason")))
	if get(t, ctx, "retry button", chromedp.Evaluate[bool](`document.querySelector('#retry') !== null`)) {
		t.Error("a viewer sees the retry button")
	}
	status := get(t, ctx, "post the retry form", chromedp.Evaluate[int](`fetch(location.pathname + '/retry', {method: 'POST', credentials: 'same-origin',
		body: new URLSearchParams({csrf: document.querySelector('input[name=csrf]').value})}).then(function (r) { return r.status; })`,
		chromedp.EvalAwaitPromise))
	if status != 403 {
		t.Errorf("a viewer posting the retry form gets %d, want 403", status)
	}
	if n := len(listRuns(t, d, job.Request)); n != 2 {
		t.Errorf("%d runs after the viewer's post, want 2", n)
	}
}
