package sqlite

import (
	"errors"
	"path/filepath"
	"testing"

	"github.com/switchboardhq/switchboard/internal/store"
)

// TestTranslateUnique checks translate tells the numbers_provider_ref
// index from the org's own uniqueness, for statements that let a unique
// violation through (CreateNumber does not).
func TestTranslateUnique(t *testing.T) {
	ctx := t.Context()
	s, err := Open(ctx, filepath.Join(t.TempDir(), "switchboard.db"))
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	defer s.Close()
	if err := s.Migrate(ctx); err != nil {
		t.Fatalf("Migrate: %v", err)
	}
	var users []store.User
	for _, name := range []string{"a", "b"} {
		o, err := s.CreateOrg(ctx, name)
		if err != nil {
			t.Fatalf("CreateOrg: %v", err)
		}
		u, err := s.CreateUser(ctx, store.User{ID: store.NewID(), OrgID: o.ID, Name: "Ada"})
		if err != nil {
			t.Fatalf("CreateUser: %v", err)
		}
		users = append(users, u)
	}
	insert := func(u store.User, e164, ref string) error {
		_, err := s.w.ExecContext(ctx,
			`INSERT INTO numbers (id, org_id, user_id, e164, provider, provider_ref, job_id, created_at, updated_at)
			VALUES (?, ?, ?, ?, 'twilio', ?, 'job', '', '')`,
			store.NewID(), u.OrgID, u.ID, e164, ref)
		return translate("insert number", err)
	}
	if err := insert(users[0], "+14155550100", "PN1"); err != nil {
		t.Fatalf("insert: %v", err)
	}
	for _, tc := range []struct {
		name           string
		err            error
		want, unwanted error
	}{
		{"provider number in another org", insert(users[1], "+14155550100", "PN1"), store.ErrManagedElsewhere, store.ErrConflict},
		{"the org's own e164", insert(users[0], "+14155550100", "PN2"), store.ErrConflict, store.ErrManagedElsewhere},
	} {
		if !errors.Is(tc.err, tc.want) || errors.Is(tc.err, tc.unwanted) {
			t.Errorf("%s: error = %v, want %v and not %v", tc.name, tc.err, tc.want, tc.unwanted)
		}
	}
}
