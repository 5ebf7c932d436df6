package batch

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/switchboardhq/switchboard/internal/phone"
	"github.com/switchboardhq/switchboard/internal/store"
	"github.com/switchboardhq/switchboard/jobs"
)

// Codes of the rows validation refuses (store.BatchRow.Code). A failed
// job's row has its job's error code (jobs.Code) instead.
const (
	CodeMalformed       = "malformed_row"    // the line is not a row (bad CSV, not a JSON object)
	CodeMissingField    = "missing_field"    // a required value is empty
	CodeInvalidNumber   = "invalid_number"   // phone_number is not a phone number with country code
	CodeUnknownProvider = "unknown_provider" // provider is not twilio, plivo or telnyx
	CodeUnknownAccount  = "unknown_account"  // no stored connection for the provider (and account), or several and no account
	CodeUnknownUser     = "unknown_user"     // user_id is not a user of the org
	CodeUnknownTarget   = "unknown_target"   // target_id is not an app or agent of the org
	CodeDuplicate       = "duplicate"        // the number is on an earlier line (with other values)
	CodeNumberInOrg     = "number_in_org"    // the org already has the number, or another batch is adding it
)

// validator checks rows one at a time against the org. What it looks up
// (connections, users, targets) it remembers; the numbers already in use
// are asked in pages (checkInUse), one query per page.
type validator struct {
	st      store.Store
	orgID   int64
	batchID string
	opts    Options
	numbers phone.Policy
	conns   []store.Connection
	users   map[string]bool
	targets map[string]bool
	// seen is the first valid line of each number. It is the one thing
	// that grows with the file: a few dozen bytes a distinct number.
	seen map[string]seenRow
}

type seenRow struct {
	line int
	key  string // the row's resolved values, to tell a repeat from a clash
}

func newValidator(ctx context.Context, st store.Store, b store.Batch, opts Options) (*validator, error) {
	conns, err := st.ListConnections(ctx, b.OrgID)
	if err != nil {
		return nil, err
	}
	return &validator{
		st: st, orgID: b.OrgID, batchID: b.ID, opts: opts, numbers: phone.PlusOptional(), conns: conns,
		users: map[string]bool{}, targets: map[string]bool{}, seen: map[string]seenRow{},
	}, nil
}

// refuse marks r invalid for col.
func refuse(r *store.BatchRow, col, code, format string, args ...any) {
	r.Status, r.Column, r.Code, r.Reason = store.RowInvalid, col, code, fmt.Sprintf(format, args...)
}

// check resolves and checks one row: the answer is RowPending, or
// RowInvalid or RowSkipped with the column and reason. Its error is the
// store's, which ends the import.
func (v *validator) check(ctx context.Context, in Row) (store.BatchRow, error) {
	r := store.BatchRow{
		OrgID: v.orgID, BatchID: v.batchID, Line: in.Line, PhoneNumber: in.PhoneNumber, Provider: in.Provider,
		Account: in.Account, UserID: in.UserID, TargetID: in.TargetID, Status: store.RowPending,
	}
	provider := orDefault(in.Provider, v.opts.Provider)
	account := orDefault(in.Account, v.opts.Account)
	target := orDefault(in.TargetID, v.opts.TargetID)
	switch {
	case in.PhoneNumber == "":
		refuse(&r, ColPhoneNumber, CodeMissingField, "phone_number is required")
		return r, nil
	case in.UserID == "":
		refuse(&r, ColUserID, CodeMissingField, "user_id is required")
		return r, nil
	case provider == "":
		refuse(&r, ColProvider, CodeMissingField, "provider is required (a provider column, --provider or ?provider=)")
		return r, nil
	}
	e164, err := v.numbers.Normalize(in.PhoneNumber)
	if err != nil {
		refuse(&r, ColPhoneNumber, CodeInvalidNumber, "invalid number: %s", strings.TrimPrefix(err.Error(), phone.ErrInvalid.Error()+" "))
		return r, nil
	}
	provider = strings.ToLower(provider)
	if !jobs.KnownProvider(provider) {
		refuse(&r, ColProvider, CodeUnknownProvider, "unknown provider %q: want twilio, plivo or telnyx", provider)
		return r, nil
	}
	conn, col, reason := v.connection(provider, account)
	if reason != "" {
		refuse(&r, col, CodeUnknownAccount, "%s", reason)
		return r, nil
	}
	if ok, err := v.exists(ctx, v.users, in.UserID, func() error { _, err := v.st.GetUser(ctx, v.orgID, in.UserID); return err }); err != nil {
		return r, err
	} else if !ok {
		refuse(&r, ColUserID, CodeUnknownUser, "unknown user %q", in.UserID)
		return r, nil
	}
	if target != "" {
		if ok, err := v.exists(ctx, v.targets, target, func() error { _, err := v.st.GetTarget(ctx, v.orgID, target); return err }); err != nil {
			return r, err
		} else if !ok {
			refuse(&r, ColTargetID, CodeUnknownTarget, "unknown target %q (not an app or agent of this organization)", target)
			return r, nil
		}
	}
	r.E164, r.ConnectionID, r.Provider, r.Account, r.TargetID = e164, conn.ID, provider, conn.AccountID, target
	key := strings.Join([]string{in.UserID, provider, conn.ID, target}, "\x00")
	if first, dup := v.seen[e164]; dup {
		if first.key == key {
			r.Status, r.Column, r.Reason = store.RowSkipped, ColPhoneNumber, fmt.Sprintf("duplicate of line %d", first.line)
		} else {
			refuse(&r, ColPhoneNumber, CodeDuplicate, "duplicate of line %d (the same number with other values)", first.line)
		}
		return r, nil
	}
	v.seen[e164] = seenRow{line: in.Line, key: key}
	return r, nil
}

// connection picks the stored connection a row's provider and account
// name; with no account, the provider's only one. reason says why none.
func (v *validator) connection(provider, account string) (store.Connection, string, string) {
	var found []store.Connection
	for _, c := range v.conns {
		if c.Provider == provider && (account == "" || c.AccountID == account) {
			found = append(found, c)
		}
	}
	switch {
	case len(found) == 1:
		return found[0], "", ""
	case len(found) == 0 && account != "":
		return store.Connection{}, ColAccount, fmt.Sprintf("no stored %s connection for account %q", provider, account)
	case len(found) == 0:
		return store.Connection{}, ColProvider, fmt.Sprintf("no stored %s connection in this organization (add one number with its credentials first)", provider)
	}
	return store.Connection{}, ColAccount, fmt.Sprintf("%d stored %s connections: name the account (an account column, --account or ?account=)", len(found), provider)
}

// exists answers from cache, or asks get (nil: exists, ErrNotFound: not).
func (v *validator) exists(_ context.Context, cache map[string]bool, id string, get func() error) (bool, error) {
	if ok, known := cache[id]; known {
		return ok, nil
	}
	err := get()
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return false, err
	}
	cache[id] = err == nil
	return err == nil, nil
}

// checkInUse refuses the pending rows of a page whose number the org
// already has, or another batch is adding, in one query.
func (v *validator) checkInUse(ctx context.Context, rows []store.BatchRow) error {
	var e164s []string
	for _, r := range rows {
		if r.Status == store.RowPending {
			e164s = append(e164s, r.E164)
		}
	}
	used, err := v.st.NumbersInUse(ctx, v.orgID, v.batchID, e164s)
	if err != nil {
		return err
	}
	for i := range rows {
		r := &rows[i]
		u, ok := used[r.E164]
		if r.Status != store.RowPending || !ok {
			continue
		}
		if u.BatchID == "" {
			refuse(r, ColPhoneNumber, CodeNumberInOrg, "%s is already in this organization's inventory", r.E164)
		} else {
			refuse(r, ColPhoneNumber, CodeNumberInOrg, "%s is being added by batch %s (line %d)", r.E164, u.BatchID, u.Line)
		}
		r.E164, r.ConnectionID = "", ""
	}
	return nil
}

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}
