package main

import (
	"bytes"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/switchboardhq/switchboard/internal/store"
	"github.com/switchboardhq/switchboard/jobs"
	"github.com/switchboardhq/switchboard/providers/twilio/twiliotest"
)

// TestImportCredentialsOnce: credentials given once for the file, in
// SWITCHBOARD_IMPORT_CREDENTIALS or --credentials-file (never argv), are
// checked at the provider, stored sealed as the org's connection, and used
// by every row; refused ones store nothing; the secret is in neither the
// output nor a queued job's payload.
func TestImportCredentialsOnce(t *testing.T) {
	db, redisURL, insp := importDB(t)
	sim := httptest.NewServer(twiliotest.NewSandbox())
	t.Cleanup(sim.Close)
	dir := t.TempDir()
	file := filepath.Join(dir, "numbers.csv")
	content := "phone_number,user_id\n" + twiliotest.SandboxNumberNYC + "," + importUser + "\n" + twiliotest.SandboxNumberDC + "," + importUser + "\nbad," + importUser + "\n"
	if err := os.WriteFile(file, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	secret := twiliotest.SandboxAuthToken
	vars := map[string]string{"SWITCHBOARD_SECRET_KEY": ringKey(t, "k1"), "SWITCHBOARD_TWILIO_BASE_URL": sim.URL}
	importWith := func(kv map[string]string, args ...string) (string, error) {
		for k, v := range vars {
			kv[k] = v
		}
		var out bytes.Buffer
		err := run(t.Context(), append([]string{"import", "--org", "acme", "--database", db.url, "--redis", redisURL}, args...), env(kv), &out, &out)
		return out.String(), err
	}
	org, err := db.store.GetOrgByName(t.Context(), "acme")
	if err != nil {
		t.Fatal(err)
	}

	wrong := filepath.Join(dir, "wrong.json")
	if err := os.WriteFile(wrong, []byte(`{"provider":"twilio","account_id":"`+twiliotest.SandboxAccountSID+`","secret":"not-`+secret+`"}`), 0o600); err != nil {
		t.Fatal(err)
	}
	out, err := importWith(map[string]string{}, "--credentials-file", wrong, file)
	if err == nil || !strings.Contains(err.Error(), "twilio refused the credentials") || strings.Contains(out+err.Error(), secret) {
		t.Errorf("wrong secret: %v\n%s", err, out)
	}
	if conns, _ := db.store.ListConnections(t.Context(), org.ID); len(conns) != 1 {
		t.Errorf("refused credentials: %d connections, want the 1 stored before", len(conns))
	}

	creds := `{"provider":"twilio","account_id":"` + twiliotest.SandboxAccountSID + `","secret":"` + secret + `"}`
	out, err = importWith(map[string]string{envImportCredentials: creds}, file)
	if err == nil || err.Error() != "1 rows did not go in" {
		t.Errorf("import: %v\n%s", err, out)
	}
	conns, err := db.store.ListConnections(t.Context(), org.ID)
	if err != nil {
		t.Fatal(err)
	}
	var conn store.Connection
	for _, c := range conns {
		if c.AccountID == twiliotest.SandboxAccountSID {
			conn = c
		}
	}
	if conn.ID == "" || strings.Contains(string(conn.Credentials), secret) {
		t.Fatalf("connections %+v: want the sandbox account's, sealed", conns)
	}
	// Two Twilio connections now, and the rows name no account: they use
	// the file's.
	rows, err := db.store.ListBatchRows(t.Context(), store.BatchRowFilter{OrgID: org.ID, BatchID: strings.TrimPrefix(batchLine(out), "batch "), Limit: 10})
	if err != nil || len(rows) != 3 {
		t.Fatalf("rows %v %v", rows, err)
	}
	for _, r := range rows[:2] {
		if r.Status != store.RowQueued || r.ConnectionID != conn.ID {
			t.Errorf("line %d: %s on %s, want queued on the file's connection %s", r.Line, r.Status, r.ConnectionID, conn.ID)
		}
	}
	tasks, err := insp.ListPendingTasks(jobs.QueueBulk)
	if err != nil || len(tasks) != 2 {
		t.Fatalf("pending tasks %d %v", len(tasks), err)
	}
	for _, ti := range tasks {
		if bytes.Contains(ti.Payload, []byte(secret)) {
			t.Errorf("task %s carries the secret in clear", ti.ID)
		}
	}
	if strings.Contains(out, secret) {
		t.Errorf("the output shows the secret:\n%s", out)
	}

	// Both sources at once are refused.
	if _, err := importWith(map[string]string{envImportCredentials: creds}, "--credentials-file", wrong, file); err == nil || !strings.Contains(err.Error(), "not both") {
		t.Errorf("both sources: %v", err)
	}
}
