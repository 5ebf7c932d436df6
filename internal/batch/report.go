package batch

import (
	"context"
	"encoding/csv"
	"io"
	"strconv"

	"github.com/switchboardhq/switchboard/internal/store"
)

// FailureHeader is the header of a failures CSV: the import's columns, so
// the file can be fixed and imported again as it is (the importer ignores
// the other columns), then where and why each row failed.
var FailureHeader = []string{ColPhoneNumber, ColProvider, ColAccount, ColUserID, ColTargetID, "line", "status", "column", "code", "reason"}

// FailureWriter writes failed rows as CSV.
type FailureWriter struct {
	w      *csv.Writer
	header bool
}

// NewFailureWriter writes to w; the header goes out with the first row (or
// at Flush when there is none).
func NewFailureWriter(w io.Writer) *FailureWriter { return &FailureWriter{w: csv.NewWriter(w)} }

// Write writes one row as the file gave it, with its outcome.
func (f *FailureWriter) Write(r store.BatchRow) error {
	if err := f.writeHeader(); err != nil {
		return err
	}
	return f.w.Write([]string{csvSafe(r.PhoneNumber), csvSafe(r.Provider), csvSafe(r.Account), csvSafe(r.UserID), csvSafe(r.TargetID),
		strconv.Itoa(r.Line), r.Status, r.Column, r.Code, csvSafe(r.Reason)})
}

func (f *FailureWriter) writeHeader() error {
	if f.header {
		return nil
	}
	f.header = true
	return f.w.Write(FailureHeader)
}

// Flush writes what is buffered and answers the first write error.
func (f *FailureWriter) Flush() error {
	if err := f.writeHeader(); err != nil {
		return err
	}
	f.w.Flush()
	return f.w.Error()
}

// csvSafe keeps a value a spreadsheet would run as a formula from being
// one (OWASP's CSV injection advice): a leading = + - @ tab or CR gets a
// quote in front. A phone number's + is left alone when the rest is a
// number's characters, so "+12125551234" stays importable.
func csvSafe(s string) string {
	if s == "" {
		return s
	}
	switch s[0] {
	case '+':
		for _, c := range s[1:] {
			if !(c >= '0' && c <= '9' || c == ' ' || c == '-' || c == '(' || c == ')' || c == '.') {
				return "'" + s
			}
		}
		return s
	case '=', '-', '@', '\t', '\r':
		return "'" + s
	}
	return s
}

// Failures are the statuses a failures file lists: refused by validation,
// failed in the worker, or canceled before they ran. Skipped repeats are
// not failures: their first line stands for them.
var Failures = []string{store.RowInvalid, store.RowFailed, store.RowCanceled}

// WriteFailures writes every row of the batch in one of Failures, in line
// order, a page at a time.
func WriteFailures(ctx context.Context, st store.Store, orgID int64, batchID string, fw *FailureWriter) error {
	after := 0
	for {
		rows, err := st.ListBatchRows(ctx, store.BatchRowFilter{OrgID: orgID, BatchID: batchID, Statuses: Failures, AfterLine: after, Limit: pageSize})
		if err != nil {
			return err
		}
		for _, r := range rows {
			if err := fw.Write(r); err != nil {
				return err
			}
		}
		if len(rows) < pageSize {
			return fw.Flush()
		}
		after = rows[len(rows)-1].Line
	}
}
