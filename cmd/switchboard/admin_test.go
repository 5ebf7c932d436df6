package main

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/alicebob/miniredis/v2"
	"golang.org/x/crypto/bcrypt"

	"github.com/switchboardhq/switchboard/jobs"
)

func TestAdminHashPassword(t *testing.T) {
	var out bytes.Buffer
	cmd := adminCommand(strings.NewReader("correct horse battery\n"), &out)
	cmd.SetArgs([]string{"hash-password"})
	if err := cmd.Execute(); err != nil {
		t.Fatal(err)
	}
	hash := strings.TrimSpace(out.String())
	if err := bcrypt.CompareHashAndPassword([]byte(hash), []byte("correct horse battery")); err != nil {
		t.Errorf("printed %q, not a bcrypt hash of the password: %v", hash, err)
	}
	cmd = adminCommand(strings.NewReader("short\n"), io.Discard)
	cmd.SetArgs([]string{"hash-password"})
	cmd.SilenceUsage, cmd.SilenceErrors = true, true
	if err := cmd.Execute(); err == nil {
		t.Error("hash-password accepted a 5-character password")
	}
}

// adminLogin logs in to the dashboard at base and reports whether it
// answered with the way to the overview.
func adminLogin(t *testing.T, base, user, password string) bool {
	t.Helper()
	jar, _ := cookiejar.New(nil)
	// bcrypt under -race on a loaded machine takes seconds: a generous timeout.
	c := &http.Client{Jar: jar, Timeout: time.Minute, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := c.Get(base + "/admin/login")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	m := regexp.MustCompile(`name="csrf" value="([0-9a-f]+)"`).FindSubmatch(b)
	if m == nil {
		t.Fatalf("GET /admin/login: %s, no login form", resp.Status)
	}
	resp, err = c.PostForm(base+"/admin/login", url.Values{"csrf": {string(m[1])}, "user": {user}, "password": {password}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode == http.StatusSeeOther && resp.Header.Get("Location") == "/admin/"
}

// TestDevAdminLogin: dev's banner gives a login that opens the dashboard.
func TestDevAdminLogin(t *testing.T) {
	base, stdout, _, _ := startDev(t)
	m := regexp.MustCompile(`admin:\s+` + regexp.QuoteMeta(base) + `/admin/ \(user (\S+), password (\S+) `).FindStringSubmatch(stdout.String())
	if m == nil {
		t.Fatalf("banner has no admin login:\n%s", stdout)
	}
	if !adminLogin(t, base, m[1], m[2]) {
		t.Errorf("the banner's admin login %s does not open the dashboard", m[1])
	}
	if adminLogin(t, base, m[1], m[2]+"x") {
		t.Error("a wrong password opened the dashboard")
	}
}

// TestAPIAdminDashboard: the api serves /admin/ to the logins of
// SWITCHBOARD_ADMIN_USERS, and not at all without them.
func TestAPIAdminDashboard(t *testing.T) {
	hash, err := bcrypt.GenerateFromPassword([]byte("ops-password"), bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		users string
		want  int
	}{{"ops:operator:" + string(hash), http.StatusOK}, {"", http.StatusNotFound}} {
		mr := miniredis.RunT(t)
		addrs := freeAddrs(t, 2)
		addr := addrs[0]
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error, 1)
		go func() {
			done <- run(ctx, []string{"api"}, env(map[string]string{
				"SWITCHBOARD_REDIS_URL": "redis://" + mr.Addr(), "SWITCHBOARD_DATABASE_URL": "sqlite:" + filepath.Join(t.TempDir(), "db"),
				"SWITCHBOARD_SECRET_KEY": jobs.GenerateKey(), "SWITCHBOARD_ADDR": addr, "SWITCHBOARD_METRICS_ADDR": addrs[1],
				"SWITCHBOARD_ADMIN_USERS": tc.users,
			}), io.Discard, io.Discard)
		}()
		var status int
		for end := time.Now().Add(10 * time.Second); status == 0 && time.Now().Before(end); time.Sleep(20 * time.Millisecond) {
			if resp, err := http.Get("http://" + addr + "/admin/login"); err == nil {
				resp.Body.Close()
				status = resp.StatusCode
			}
		}
		if status != tc.want {
			t.Errorf("users set %v: GET /admin/login = %d, want %d", tc.users != "", status, tc.want)
		}
		if tc.want == http.StatusOK && !adminLogin(t, "http://"+addr, "ops", "ops-password") {
			t.Error("the configured login does not open the dashboard")
		}
		cancel()
		<-done
	}
}

func TestAdminUsersRefusedAtStart(t *testing.T) {
	err := run(context.Background(), []string{"api"}, env(map[string]string{
		"SWITCHBOARD_REDIS_URL": "redis://127.0.0.1:1", "SWITCHBOARD_DATABASE_URL": "sqlite:" + filepath.Join(t.TempDir(), "db"),
		"SWITCHBOARD_SECRET_KEY": jobs.GenerateKey(), "SWITCHBOARD_ADMIN_USERS": "ops:admin:secret-looking-value",
	}), io.Discard, io.Discard)
	if err == nil || !strings.Contains(err.Error(), "SWITCHBOARD_ADMIN_USERS") || strings.Contains(err.Error(), "secret-looking-value") {
		t.Errorf("start with a bad SWITCHBOARD_ADMIN_USERS: %v; want an error naming the variable, not the value", err)
	}
}
