package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"io"
	"path/filepath"
	"strings"
	"testing"

	"github.com/switchboardhq/switchboard/internal/store"
	"github.com/switchboardhq/switchboard/internal/store/sqlite"
	"github.com/switchboardhq/switchboard/jobs"
)

// ringKey is a new key in SWITCHBOARD_SECRET_KEY's form.
func ringKey(t *testing.T, id string) string {
	t.Helper()
	b := make([]byte, 32)
	rand.Read(b)
	return id + ":" + base64.StdEncoding.EncodeToString(b)
}

func keyRing(t *testing.T, spec ...string) *jobs.KeyRing {
	t.Helper()
	kr, err := jobs.ParseKeyRing(strings.Join(spec, ","))
	if err != nil {
		t.Fatalf("ParseKeyRing: %v", err)
	}
	return kr
}

// rekeyDB is a database migrated by `switchboard migrate`, and the store
// open on it to set up and inspect connections.
type rekeyDB struct {
	url   string
	store *sqlite.Store
	creds map[string]jobs.Credentials // by connection id: what each one seals
}

func newRekeyDB(t *testing.T) *rekeyDB {
	t.Helper()
	path := filepath.Join(t.TempDir(), "sb.db")
	url := "sqlite:" + path
	if err := run(t.Context(), []string{"migrate", "--database", url}, env(nil), io.Discard, io.Discard); err != nil {
		t.Fatalf("migrate: %v", err)
	}
	st, err := sqlite.Open(t.Context(), path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return &rekeyDB{url: url, store: st, creds: map[string]jobs.Credentials{}}
}

func (db *rekeyDB) org(t *testing.T, name string) int64 {
	t.Helper()
	o, err := db.store.CreateOrg(t.Context(), name)
	if err != nil {
		t.Fatal(err)
	}
	return o.ID
}

// connect stores a connection whose credentials kr seals.
func (db *rekeyDB) connect(t *testing.T, orgID int64, provider, account string, kr *jobs.KeyRing) string {
	t.Helper()
	creds := jobs.Credentials{AccountID: account, Secret: "secret-" + store.NewID()}
	sealed, err := kr.SealCredentials(creds)
	if err != nil {
		t.Fatal(err)
	}
	c, err := db.store.UpsertConnection(t.Context(), store.Connection{
		ID: store.NewID(), OrgID: orgID, Provider: provider, AccountID: account, Credentials: sealed,
	})
	if err != nil {
		t.Fatal(err)
	}
	db.creds[c.ID] = creds
	return c.ID
}

// sealed is every stored connection's credentials, by id.
func (db *rekeyDB) sealed(t *testing.T) map[string]jobs.Sealed {
	t.Helper()
	out := map[string]jobs.Sealed{}
	if _, err := db.store.ResealConnections(t.Context(), func(c store.Connection) (jobs.Sealed, bool, error) {
		out[c.ID] = c.Credentials
		return "", false, nil
	}); err != nil {
		t.Fatal(err)
	}
	return out
}

// rekeyRun runs `switchboard rekey` with ring as SWITCHBOARD_SECRET_KEY.
func rekeyRun(t *testing.T, db *rekeyDB, ring string, args ...string) (stdout, stderr string, err error) {
	t.Helper()
	var out, errOut bytes.Buffer
	err = run(context.Background(), append([]string{"rekey", "--database", db.url}, args...),
		env(map[string]string{"SWITCHBOARD_SECRET_KEY": ring}), &out, &errOut)
	for _, secret := range db.creds {
		if strings.Contains(out.String()+errOut.String(), secret.Secret) {
			t.Errorf("rekey printed a connection's secret:\n%s\n%s", &out, &errOut)
		}
	}
	for _, k := range strings.Split(ring, ",") {
		_, key, _ := strings.Cut(k, ":")
		if strings.Contains(out.String()+errOut.String(), key) {
			t.Errorf("rekey printed key material:\n%s\n%s", &out, &errOut)
		}
	}
	return out.String(), errOut.String(), err
}

func wantLines(t *testing.T, what, out string, lines ...string) {
	t.Helper()
	for _, l := range lines {
		if !strings.Contains(out, l+"\n") {
			t.Errorf("%s lacks %q:\n%s", what, l, out)
		}
	}
}

func TestRekey(t *testing.T) {
	oldKey, newKey := ringKey(t, "old"), ringKey(t, "new")
	old := keyRing(t, oldKey)
	db := newRekeyDB(t)
	acme, globex := db.org(t, "acme"), db.org(t, "globex")
	db.connect(t, acme, "twilio", "AC1", old)
	db.connect(t, acme, "telnyx", "", old)
	db.connect(t, globex, "plivo", "MA1", old)
	db.connect(t, globex, "twilio", "AC1", old)
	ring := newKey + "," + oldKey

	out, _, err := rekeyRun(t, db, ring)
	if err != nil {
		t.Fatalf("rekey: %v", err)
	}
	wantLines(t, "rekey output", out,
		`connections: 4`, `  sealed with key "old": 4`, `re-sealed with "new": 4`, `already current: 0`, `failed: 0`)

	// Every connection now opens with the new key alone, to what it held.
	newOnly := keyRing(t, newKey)
	after := db.sealed(t)
	if len(after) != 4 {
		t.Fatalf("%d connections after rekey, want 4", len(after))
	}
	for id, s := range after {
		if s.KeyID() != "new" {
			t.Errorf("connection %s sealed with %q after rekey, want new", id, s.KeyID())
		}
		got, err := newOnly.OpenCredentials(s)
		if err != nil {
			t.Errorf("connection %s does not open with the new key alone: %v", id, err)
		} else if got != db.creds[id] {
			t.Errorf("connection %s opens to different credentials after rekey", id)
		}
	}

	// A second run has nothing to do and writes nothing.
	out, _, err = rekeyRun(t, db, ring)
	if err != nil {
		t.Fatalf("rekey (again): %v", err)
	}
	wantLines(t, "second rekey output", out,
		`  sealed with key "new" (primary): 4`, `re-sealed with "new": 0`, `already current: 4`, `failed: 0`)
	for id, s := range db.sealed(t) {
		if s != after[id] {
			t.Errorf("second rekey re-sealed connection %s", id)
		}
	}

	// With the old key gone, a dry run confirms nothing needs it.
	out, _, err = rekeyRun(t, db, newKey, "--dry-run")
	if err != nil {
		t.Fatalf("rekey --dry-run without the old key: %v", err)
	}
	wantLines(t, "dry run output", out, `would re-seal with "new": 0`, `failed: 0`)
}

func TestRekeyDryRun(t *testing.T) {
	oldKey, newKey := ringKey(t, "old"), ringKey(t, "new")
	db := newRekeyDB(t)
	o := db.org(t, "acme")
	db.connect(t, o, "twilio", "AC1", keyRing(t, oldKey))
	db.connect(t, o, "plivo", "MA1", keyRing(t, oldKey))
	db.connect(t, o, "telnyx", "", keyRing(t, newKey))
	before := db.sealed(t)

	out, _, err := rekeyRun(t, db, newKey+","+oldKey, "--dry-run")
	if err != nil {
		t.Fatalf("rekey --dry-run: %v", err)
	}
	wantLines(t, "dry run output", out, `dry run: nothing was written`, `connections: 3`,
		`  sealed with key "new" (primary): 1`, `  sealed with key "old": 2`,
		`would re-seal with "new": 2`, `already current: 1`, `failed: 0`)
	for id, s := range db.sealed(t) {
		if s != before[id] {
			t.Errorf("rekey --dry-run changed connection %s", id)
		}
	}
}

func TestRekeyUnknownKey(t *testing.T) {
	oldKey, newKey, goneKey := ringKey(t, "old"), ringKey(t, "new"), ringKey(t, "gone")
	db := newRekeyDB(t)
	acme, globex := db.org(t, "acme"), db.org(t, "globex")
	db.connect(t, acme, "twilio", "AC1", keyRing(t, oldKey))
	lost := db.connect(t, acme, "plivo", "MA1", keyRing(t, goneKey))
	db.connect(t, globex, "twilio", "AC2", keyRing(t, oldKey))
	before := db.sealed(t)

	out, errOut, err := rekeyRun(t, db, newKey+","+oldKey)
	if err == nil || !strings.Contains(err.Error(), "1 connection(s) did not open") {
		t.Errorf("rekey with a connection sealed by a key not in the ring: error %v, want one counting it", err)
	}
	if !strings.Contains(errOut, "connection "+lost+" ") || !strings.Contains(errOut, `key "gone"`) {
		t.Errorf("rekey did not report connection %s and its key:\n%s", lost, errOut)
	}
	wantLines(t, "rekey output", out, `connections: 3`, `  sealed with key "gone": 1`, `  sealed with key "old": 2`,
		`re-sealed with "new": 2`, `failed: 1`)
	for id, s := range db.sealed(t) {
		switch {
		case id == lost && s != before[id]:
			t.Errorf("rekey changed the connection that does not open")
		case id != lost && s.KeyID() != "new":
			t.Errorf("connection %s sealed with %q, want the others re-sealed despite the failure", id, s.KeyID())
		}
	}
}

func TestRekeyRequiresDatabaseAndKey(t *testing.T) {
	db := "sqlite:" + filepath.Join(t.TempDir(), "sb.db")
	cases := []struct {
		args []string
		env  map[string]string
		want string
	}{
		{[]string{"rekey", "--secret-key", "k"}, nil, "SWITCHBOARD_DATABASE_URL is required"},
		{[]string{"rekey", "--database", db}, nil, "SWITCHBOARD_SECRET_KEY is required"},
		{[]string{"rekey"}, map[string]string{"SWITCHBOARD_DATABASE_URL": db, "SWITCHBOARD_SECRET_KEY": "k1:short"}, "SWITCHBOARD_SECRET_KEY: "},
	}
	for _, c := range cases {
		err := run(context.Background(), c.args, env(c.env), io.Discard, io.Discard)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%v with %v: error %v, want it to contain %q", c.args, c.env, err, c.want)
		}
	}
}
