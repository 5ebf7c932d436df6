// Package storetest is the conformance suite for store.Store: every
// implementation runs Exercise from its own tests, so the SQLite and
// PostgreSQL stores are held to the same behaviour, constraints and error
// mapping included (the riverdrivertest pattern).
package storetest

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/switchboardhq/switchboard/internal/store"
)

// Exercise runs the suite. open must return a fresh, migrated store that
// no other test uses, and close it when t ends.
func Exercise(t *testing.T, open func(t *testing.T) store.Store) {
	t.Helper()
	tests := []struct {
		name string
		run  func(*testing.T, store.Store)
	}{
		{"Org", testOrg},
		{"APIKey", testAPIKey},
		{"ListDeleteAPIKeys", testListDeleteAPIKeys},
		{"User", testUser},
		{"Connection", testConnection},
		{"ListConnections", testListConnections},
		{"GetConnectionByAccount", testGetConnectionByAccount},
		{"ResealConnections", testResealConnections},
		{"ResealConnectionsChanged", testResealConnectionsChanged},
		{"Number", testNumber},
		{"UpdateNumberVoice", testUpdateNumberVoice},
		{"ListNumbers", testListNumbers},
		{"ListAvailableNumbers", testListAvailableNumbers},
		{"NumberState", testNumberState},
		{"DeleteNumber", testDeleteNumber},
		{"ManagedElsewhere", testManagedElsewhere},
		{"Target", testTarget},
		{"DeleteTarget", testDeleteTarget},
		{"Link", testLink},
		{"SetLinkStatus", testSetLinkStatus},
		{"ActivateLink", testActivateLink},
		{"DeleteLink", testDeleteLink},
		{"ListLinks", testListLinks},
		{"Application", testApplication},
		{"ApplicationFence", testApplicationFence},
		{"ApplicationRecorded", testApplicationRecorded},
		{"Job", testJob},
		{"JobFinished", testJobFinished},
		{"JobCancel", testJobCancel},
		{"ListJobs", testListJobs},
		{"ListJobsAdminFilters", testListJobsAdminFilters},
		{"CountFailures", testCountFailures},
		{"ReadAddPhone", testReadAddPhone},
		{"AdminActions", testAdminActions},
		{"TxCommit", testTxCommit},
		{"TxRollback", testTxRollback},
		{"TxConflict", testTxConflict},
		{"TxAborted", testTxAborted},
		{"TxNoRow", testTxNoRow},
		{"TxNested", testTxNested},
		{"TxPanic", testTxPanic},
		{"TxNumberConflict", testTxNumberConflict},
		{"LinkRace", testLinkRace},
		{"NumberRace", testNumberRace},
		{"ManagedElsewhereRace", testManagedElsewhereRace},
		{"Idempotency", testIdempotency},
		{"IdempotencyRelease", testIdempotencyRelease},
		{"IdempotencyLease", testIdempotencyLease},
		{"IdempotencyExpiry", testIdempotencyExpiry},
		{"IdempotencyPurge", testIdempotencyPurge},
		{"IdempotencyRace", testIdempotencyRace},
		{"Batch", testBatch},
		{"ListBatches", testListBatches},
		{"BatchRows", testBatchRows},
		{"NumbersInUse", testNumbersInUse},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tc.run(t, open(t))
		})
	}
}

// newID is a random 24-hex-character id, the shape of user and number ids.
func newID() string {
	b := make([]byte, 12)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// ascendingIDs is n new ids in ascending order, for tests that must tell
// id order from the order under test.
func ascendingIDs(n int) []string {
	ids := make([]string, n)
	for i := range ids {
		ids[i] = newID()
	}
	slices.Sort(ids)
	return ids
}

// now is the current time at the precision every store keeps:
// PostgreSQL stores microseconds.
func now() time.Time {
	return time.Now().UTC().Truncate(time.Microsecond)
}

// jsonEqual compares json.RawMessage by meaning: jsonb in PostgreSQL
// changes spacing and key order. It cannot tell nil from JSON null, so
// tests that care check for nil themselves.
func jsonEqual() cmp.Option {
	return cmp.Transformer("ParseJSON", func(m json.RawMessage) any {
		if m == nil {
			return nil
		}
		var v any
		if err := json.Unmarshal(m, &v); err != nil {
			return "invalid JSON: " + string(m)
		}
		return v
	})
}

// wantErr fails the test unless err is (or wraps) want.
func wantErr(t *testing.T, what string, err, want error) {
	t.Helper()
	if !errors.Is(err, want) {
		t.Errorf("%s: error = %v, want %v", what, err, want)
	}
}

// checkCreated fails the test unless a timestamp the store filled in is
// recent and in UTC.
func checkCreated(t *testing.T, what string, ts time.Time) {
	t.Helper()
	if ts.Location() != time.UTC {
		t.Errorf("%s = %v, want UTC", what, ts)
	}
	if d := time.Since(ts); d < -time.Minute || d > time.Minute {
		t.Errorf("%s = %v, want about now", what, ts)
	}
}

func newOrg(t *testing.T, s store.Store) store.Org {
	t.Helper()
	o, err := s.CreateOrg(t.Context(), "org-"+newID())
	if err != nil {
		t.Fatalf("CreateOrg: %v", err)
	}
	return o
}

func newUser(t *testing.T, s store.Store, orgID int64) store.User {
	t.Helper()
	u, err := s.CreateUser(t.Context(), store.User{ID: newID(), OrgID: orgID, Name: "Ada"})
	if err != nil {
		t.Fatalf("CreateUser: %v", err)
	}
	return u
}

func newConnection(t *testing.T, s store.Store, orgID int64) store.Connection {
	t.Helper()
	c, err := s.UpsertConnection(t.Context(), store.Connection{
		ID:          newID(),
		OrgID:       orgID,
		Provider:    "twilio",
		AccountID:   "AC" + newID(),
		Credentials: "v1:sealed",
	})
	if err != nil {
		t.Fatalf("UpsertConnection: %v", err)
	}
	return c
}

// number is a valid number for user u, not yet stored.
func number(u store.User, e164 string) store.Number {
	return store.Number{
		ID:          newID(),
		OrgID:       u.OrgID,
		UserID:      u.ID,
		E164:        e164,
		Provider:    "twilio",
		ProviderRef: "PN" + newID(),
		JobID:       "job-" + newID(),
		State:       store.NumberActive,
	}
}

func newNumber(t *testing.T, s store.Store, u store.User, e164 string) store.Number {
	t.Helper()
	return newNumberID(t, s, u, e164, newID())
}

// newNumberID is newNumber with the number's id chosen by the caller.
func newNumberID(t *testing.T, s store.Store, u store.User, e164, id string) store.Number {
	t.Helper()
	in := number(u, e164)
	in.ID = id
	n, err := s.CreateNumber(t.Context(), in)
	if err != nil {
		t.Fatalf("CreateNumber: %v", err)
	}
	return n
}

func newTarget(t *testing.T, s store.Store, orgID int64) store.Target {
	t.Helper()
	tg, err := s.CreateTarget(t.Context(), store.Target{
		ID:        newID(),
		OrgID:     orgID,
		Kind:      store.TargetApp,
		Name:      "IVR",
		AnswerURL: "https://app.example/answer",
		HangupURL: "https://app.example/hangup",
	})
	if err != nil {
		t.Fatalf("CreateTarget: %v", err)
	}
	return tg
}

func newLink(t *testing.T, s store.Store, l store.Link) store.Link {
	t.Helper()
	out, err := s.CreateLink(t.Context(), l)
	if err != nil {
		t.Fatalf("CreateLink: %v", err)
	}
	return out
}
