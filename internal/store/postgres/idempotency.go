package postgres

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/switchboardhq/switchboard/internal/store"
)

// claimAttempts bounds BeginIdempotent's loop: the key can only vanish
// between the claim and the read (released, or purged) so often.
const claimAttempts = 5

const idempotencyColumns = `org_id, key, fingerprint, token, status, header, body,
	created_at, lease_until, expires_at`

// BeginIdempotent claims the key with one INSERT ... ON CONFLICT DO UPDATE
// whose WHERE lets the update through only for an expired record or a
// running one whose lease has run out; RETURNING answers a row exactly
// when the claim succeeded. When it did not, the record holding the key is
// read; if that read finds nothing the holder was released or purged in
// between, and the claim is tried again.
func (s *Store) BeginIdempotent(ctx context.Context, c store.IdempotencyClaim) (store.IdempotencyRecord, bool, error) {
	for range claimAttempts {
		row := s.q.QueryRow(ctx,
			`INSERT INTO idempotency_keys AS k (org_id, key, fingerprint, token, created_at, lease_until, expires_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7)
			ON CONFLICT (org_id, key) DO UPDATE SET
				fingerprint = excluded.fingerprint,
				token = excluded.token,
				status = NULL,
				header = NULL,
				body = NULL,
				created_at = excluded.created_at,
				lease_until = excluded.lease_until,
				expires_at = excluded.expires_at
			WHERE k.expires_at <= excluded.created_at
				OR (k.status IS NULL AND k.lease_until <= excluded.created_at)
			RETURNING `+idempotencyColumns,
			c.OrgID, c.Key, c.Fingerprint, c.Token, c.Now, c.LeaseUntil, c.ExpiresAt)
		rec, err := scanIdempotency(row)
		if err == nil {
			return rec, true, nil
		}
		if !errors.Is(err, pgx.ErrNoRows) {
			return store.IdempotencyRecord{}, false, translate("begin idempotent", err)
		}
		row = s.q.QueryRow(ctx,
			`SELECT `+idempotencyColumns+` FROM idempotency_keys WHERE org_id = $1 AND key = $2`, c.OrgID, c.Key)
		rec, err = scanIdempotency(row)
		if err == nil {
			return rec, false, nil
		}
		if !errors.Is(err, pgx.ErrNoRows) {
			return store.IdempotencyRecord{}, false, translate("begin idempotent", err)
		}
	}
	return store.IdempotencyRecord{}, false, fmt.Errorf("postgres: begin idempotent: the key changed hands %d times", claimAttempts)
}

func scanIdempotency(row pgx.Row) (store.IdempotencyRecord, error) {
	var (
		r      store.IdempotencyRecord
		status *int
		header []byte
		body   []byte
	)
	err := row.Scan(&r.OrgID, &r.Key, &r.Fingerprint, &r.Token, &status, &header, &body,
		&r.CreatedAt, &r.LeaseUntil, &r.ExpiresAt)
	if err != nil {
		return store.IdempotencyRecord{}, err
	}
	if status != nil {
		resp := &store.IdempotentResponse{Status: *status, Body: body}
		if header != nil {
			if err := json.Unmarshal(header, &resp.Header); err != nil {
				return store.IdempotencyRecord{}, fmt.Errorf("header: %w", err)
			}
		}
		if resp.Body == nil {
			resp.Body = []byte{}
		}
		r.Response = resp
	}
	return r, nil
}

// CompleteIdempotent stores resp on the running claim with token.
func (s *Store) CompleteIdempotent(ctx context.Context, orgID int64, key, token string, resp store.IdempotentResponse) error {
	header, err := headerArg(resp.Header)
	if err != nil {
		return fmt.Errorf("postgres: complete idempotent: %w", err)
	}
	body := resp.Body
	if body == nil {
		body = []byte{}
	}
	tag, err := s.q.Exec(ctx,
		`UPDATE idempotency_keys SET status = $4, header = $5, body = $6
		WHERE org_id = $1 AND key = $2 AND token = $3 AND status IS NULL`,
		orgID, key, token, resp.Status, header, body)
	return affected("complete idempotent", tag, err)
}

// ReleaseIdempotent deletes the running claim with token.
func (s *Store) ReleaseIdempotent(ctx context.Context, orgID int64, key, token string) error {
	tag, err := s.q.Exec(ctx,
		`DELETE FROM idempotency_keys WHERE org_id = $1 AND key = $2 AND token = $3 AND status IS NULL`,
		orgID, key, token)
	return affected("release idempotent", tag, err)
}

// PurgeIdempotent deletes the oldest expired records through the
// idempotency_keys_expires index. SKIP LOCKED lets concurrent purges
// share the work instead of queueing behind one another.
func (s *Store) PurgeIdempotent(ctx context.Context, before time.Time, n int) (int, error) {
	tag, err := s.q.Exec(ctx,
		`DELETE FROM idempotency_keys WHERE (org_id, key) IN (
			SELECT org_id, key FROM idempotency_keys WHERE expires_at <= $1
			ORDER BY expires_at LIMIT $2 FOR UPDATE SKIP LOCKED)`,
		before, limit(n, 100))
	if err != nil {
		return 0, translate("purge idempotent", err)
	}
	return int(tag.RowsAffected()), nil
}

// headerArg is a stored response's header as the jsonb object the column
// holds; nil is stored as {}.
func headerArg(h map[string][]string) (json.RawMessage, error) {
	if h == nil {
		return json.RawMessage("{}"), nil
	}
	return json.Marshal(h)
}
