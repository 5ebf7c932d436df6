package postgres

import (
	"context"
	"fmt"

	"github.com/switchboardhq/switchboard/internal/store"
)

// SaveJob inserts j, or replaces every field of the record with j.ID but
// created_at, which stays the first save's.
func (s *Store) SaveJob(ctx context.Context, j store.JobRecord) error {
	numbers, err := numbersArg(j.Numbers)
	if err != nil {
		return fmt.Errorf("postgres: save job: %w", err)
	}
	_, err = s.pool.Exec(ctx,
		`INSERT INTO jobs (id, org_id, type, numbers, state, attempts, error_code,
			error_message, result, changes, created_at, updated_at, finished_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10,
			COALESCE($11, now()), COALESCE($12, $11, now()), $13)
		ON CONFLICT (id) DO UPDATE SET
			org_id = excluded.org_id,
			type = excluded.type,
			numbers = excluded.numbers,
			state = excluded.state,
			attempts = excluded.attempts,
			error_code = excluded.error_code,
			error_message = excluded.error_message,
			result = excluded.result,
			changes = excluded.changes,
			updated_at = excluded.updated_at,
			finished_at = excluded.finished_at`,
		j.ID, j.OrgID, j.Type, numbers, string(j.State), j.Attempts, string(j.ErrorCode),
		j.ErrorMessage, j.Result, j.Changes,
		timeArg(j.CreatedAt), timeArg(j.UpdatedAt), j.FinishedAt)
	return translate("save job", err)
}

func (s *Store) GetJob(ctx context.Context, orgID int64, id string) (store.JobRecord, error) {
	var j store.JobRecord
	err := s.pool.QueryRow(ctx,
		`SELECT id, org_id, type, numbers, state, attempts, error_code, error_message,
			result, changes, created_at, updated_at, finished_at
		FROM jobs WHERE org_id = $1 AND id = $2`, orgID, id,
	).Scan(&j.ID, &j.OrgID, &j.Type, &j.Numbers, &j.State, &j.Attempts, &j.ErrorCode, &j.ErrorMessage,
		&j.Result, &j.Changes, &j.CreatedAt, &j.UpdatedAt, &j.FinishedAt)
	if err != nil {
		return store.JobRecord{}, translate("get job", err)
	}
	if len(j.Numbers) == 0 {
		j.Numbers = nil // what SaveJob stored as []
	}
	return j, nil
}
