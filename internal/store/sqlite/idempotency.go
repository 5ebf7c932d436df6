package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

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
	now := timeValue(c.Now)
	for range claimAttempts {
		row := queryRow(ctx, s.w,
			`INSERT INTO idempotency_keys AS k (org_id, key, fingerprint, token, created_at, lease_until, expires_at)
			VALUES (?, ?, ?, ?, ?, ?, ?)
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
			c.OrgID, c.Key, c.Fingerprint, c.Token, now, timeValue(c.LeaseUntil), timeValue(c.ExpiresAt))
		rec, err := scanIdempotency(row)
		if err == nil {
			return rec, true, nil
		}
		if !errors.Is(err, sql.ErrNoRows) {
			return store.IdempotencyRecord{}, false, s.translate("begin idempotent", err)
		}
		row = queryRow(ctx, s.r,
			`SELECT `+idempotencyColumns+` FROM idempotency_keys WHERE org_id = ? AND key = ?`, c.OrgID, c.Key)
		rec, err = scanIdempotency(row)
		if err == nil {
			return rec, false, nil
		}
		if !errors.Is(err, sql.ErrNoRows) {
			return store.IdempotencyRecord{}, false, s.translate("begin idempotent", err)
		}
	}
	return store.IdempotencyRecord{}, false, fmt.Errorf("sqlite: begin idempotent: the key changed hands %d times", claimAttempts)
}

func scanIdempotency(row scanner) (store.IdempotencyRecord, error) {
	var (
		r      store.IdempotencyRecord
		status sql.NullInt64
		header sql.NullString
		body   []byte
	)
	err := row.Scan(&r.OrgID, &r.Key, &r.Fingerprint, &r.Token, &status, &header, &body,
		timeColumn{&r.CreatedAt}, timeColumn{&r.LeaseUntil}, timeColumn{&r.ExpiresAt})
	if err != nil {
		return store.IdempotencyRecord{}, err
	}
	if status.Valid {
		resp := &store.IdempotentResponse{Status: int(status.Int64), Body: body}
		if header.Valid {
			if err := json.Unmarshal([]byte(header.String), &resp.Header); err != nil {
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
	header := []byte("{}")
	if resp.Header != nil {
		var err error
		if header, err = json.Marshal(resp.Header); err != nil {
			return fmt.Errorf("sqlite: complete idempotent: %w", err)
		}
	}
	body := resp.Body
	if body == nil {
		body = []byte{}
	}
	res, err := s.w.ExecContext(ctx,
		`UPDATE idempotency_keys SET status = ?, header = ?, body = ?
		WHERE org_id = ? AND key = ? AND token = ? AND status IS NULL`,
		resp.Status, string(header), body, orgID, key, token)
	return s.affected("complete idempotent", res, err)
}

// ReleaseIdempotent deletes the running claim with token.
func (s *Store) ReleaseIdempotent(ctx context.Context, orgID int64, key, token string) error {
	res, err := s.w.ExecContext(ctx,
		`DELETE FROM idempotency_keys WHERE org_id = ? AND key = ? AND token = ? AND status IS NULL`,
		orgID, key, token)
	return s.affected("release idempotent", res, err)
}

// PurgeIdempotent deletes the oldest expired records through the
// idempotency_keys_expires index.
func (s *Store) PurgeIdempotent(ctx context.Context, before time.Time, n int) (int, error) {
	res, err := s.w.ExecContext(ctx,
		`DELETE FROM idempotency_keys WHERE (org_id, key) IN (
			SELECT org_id, key FROM idempotency_keys WHERE expires_at <= ?
			ORDER BY expires_at LIMIT ?)`,
		timeValue(before), limit(n, 100))
	if err != nil {
		return 0, s.translate("purge idempotent", err)
	}
	deleted, err := res.RowsAffected()
	if err != nil {
		return 0, s.translate("purge idempotent", err)
	}
	return int(deleted), nil
}
