package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync/atomic"
	"time"

	"github.com/spf13/cobra"

	"github.com/switchboardhq/switchboard/internal/batch"
	"github.com/switchboardhq/switchboard/internal/callback"
	"github.com/switchboardhq/switchboard/internal/store"
	"github.com/switchboardhq/switchboard/internal/telemetry"
	"github.com/switchboardhq/switchboard/jobs"
)

// importFlags are switchboard import's own flags.
type importFlags struct {
	org, provider, account, target, format, failures string
	credentialsFile, callbackURL                     string
	wait, strict, dryRun                             bool
	workers                                          int
	interval                                         time.Duration
}

func importCommand(getenv func(string) string, stdout, stderr io.Writer) *cobra.Command {
	s := &settings{}
	var f importFlags
	cmd := &cobra.Command{
		Use:   "import FILE",
		Short: "Import numbers from a CSV or JSON Lines file: validate every row, enqueue the good ones on the bulk queue",
		Long: `Import numbers from FILE, a CSV file with a header row or JSON Lines (one object a
line), with the columns phone_number, user_id and, unless the flags give them,
provider, account and target_id. Credentials are never in the file: each row
uses the org's stored connection for its provider (and account; with one
connection for the provider no account is needed), or credentials given once
for the whole file: --credentials-file names a JSON file, or
SWITCHBOARD_IMPORT_CREDENTIALS holds the JSON, {"provider": "twilio",
"account_id": "AC…", "secret": "…"} ("username" for a Twilio API key SID; a
Telnyx key needs only "secret"). Never on the command line, where ps shows
it. They are checked once at the provider, stored sealed as the org's
connection (needs SWITCHBOARD_SECRET_KEY, the worker's), and every row uses
that connection.

Every row is validated before anything is enqueued; refused rows are reported
with their line, column and reason, and the good rows go in (none with
--strict). Importing the same file again resumes it: nothing done or in
flight is enqueued twice. The failed rows are written as CSV with their
reasons (--failures), ready to fix and import again.

Exit status: 0 when every row went in (and, with --wait, succeeded), 1
otherwise.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			need := []string{"database"}
			if !f.dryRun {
				need = append(need, "redis")
			}
			if err := s.require(need...); err != nil {
				return err
			}
			if f.org == "" {
				return errors.New("--org is required")
			}
			creds, err := importCredentials(f.credentialsFile, getenv(envImportCredentials))
			if err != nil {
				return err
			}
			if creds != nil {
				if f.dryRun {
					return errors.New("--dry-run records nothing: it cannot store the file's credentials (check the rows against stored connections, or import without --dry-run)")
				}
				if err := s.require("secret-key"); err != nil {
					return err
				}
			}
			return runImport(cmd.Context(), s, f, creds, args[0], stdout, stderr)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&f.org, "org", "", "the org to import into (its name)")
	fl.StringVar(&f.provider, "provider", "", "provider of rows without a provider column: twilio, plivo or telnyx")
	fl.StringVar(&f.account, "account", "", "provider account of rows without an account (when the org has several connections)")
	fl.StringVar(&f.target, "target", "", "target (app or agent id) of rows without a target_id")
	fl.StringVar(&f.credentialsFile, "credentials-file", "", "a JSON file with the provider credentials every row uses, given once (see above)")
	fl.StringVar(&f.callbackURL, "callback-url", "", "a URL to call back (signed, like job callbacks) when every row is finished, and again after each retry")
	fl.StringVar(&f.format, "format", "", "csv or jsonl (default: from the file name; .jsonl and .ndjson are JSON Lines)")
	fl.StringVar(&f.failures, "failures", "", "where to write the failed rows as CSV (default: FILE's name with .failures.csv)")
	fl.BoolVar(&f.wait, "wait", false, "wait for every job to finish, with a progress bar, before the summary")
	fl.BoolVar(&f.strict, "strict", false, "enqueue nothing unless every row is valid")
	fl.BoolVar(&f.dryRun, "dry-run", false, "validate only: record and enqueue nothing")
	fl.IntVar(&f.workers, "workers", 16, "how many jobs to enqueue at once")
	fl.DurationVar(&f.interval, "progress-interval", 2*time.Second, "how often to print progress when stdout is not a terminal")
	s.bind(fl, getenv, "database", "redis", "secret-key", "twilio-base-url", "plivo-base-url", "telnyx-base-url")
	return cmd
}

// envImportCredentials holds credentials for a whole file, as JSON.
const envImportCredentials = "SWITCHBOARD_IMPORT_CREDENTIALS"

// importCredentials reads credentials given once for the file: the JSON
// of --credentials-file, or of SWITCHBOARD_IMPORT_CREDENTIALS; nil when
// neither is given. Errors never quote the JSON, which holds a secret.
func importCredentials(path, env string) (*batch.Credentials, error) {
	src, raw := envImportCredentials, []byte(env)
	switch {
	case path != "" && env != "":
		return nil, fmt.Errorf("give credentials once: --credentials-file or %s, not both", envImportCredentials)
	case path != "":
		b, err := os.ReadFile(path)
		if err != nil {
			return nil, fmt.Errorf("--credentials-file: %w", err)
		}
		src, raw = "--credentials-file", b
	case env == "":
		return nil, nil
	}
	var c struct {
		Provider  string `json:"provider"`
		AccountID string `json:"account_id"`
		Secret    string `json:"secret"`
		Username  string `json:"username"`
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&c); err != nil {
		return nil, fmt.Errorf(`%s: want a JSON object with provider, account_id, secret and optionally username`, src)
	}
	return &batch.Credentials{Provider: strings.ToLower(c.Provider),
		Credentials: jobs.Credentials{AccountID: c.AccountID, Secret: c.Secret, Username: c.Username}}, nil
}

func runImport(ctx context.Context, s *settings, f importFlags, creds *batch.Credentials, path string, stdout, stderr io.Writer) error {
	format, err := importFormat(f.format, path)
	if err != nil {
		return err
	}
	file, err := os.Open(path)
	if err != nil {
		return err
	}
	defer file.Close()
	info, err := file.Stat()
	if err != nil {
		return err
	}
	sum, err := fileSum(file)
	if err != nil {
		return err
	}
	st, err := openStore(ctx, s.databaseURL, 0)
	if err != nil {
		return err
	}
	defer st.Close()
	org, err := st.GetOrgByName(ctx, f.org)
	if errors.Is(err, store.ErrNotFound) {
		return fmt.Errorf("no org named %q", f.org)
	} else if err != nil {
		return err
	}
	im := &batch.Importer{Store: st, Workers: f.workers, DryRun: f.dryRun}
	if creds != nil {
		if err := useImportCredentials(ctx, s, im, org.ID, &f, *creds); err != nil {
			return err
		}
	}
	if f.callbackURL != "" {
		// Private addresses are the worker's to refuse, by its own policy,
		// when it delivers.
		if err := (callback.Policy{AllowPrivate: true}).CheckURL(f.callbackURL); err != nil {
			return fmt.Errorf("--callback-url: %w", err)
		}
	}
	b := store.Batch{ID: fileBatchID(org.ID, sum, f), OrgID: org.ID, Provider: f.provider, Account: f.account, TargetID: f.target, Strict: f.strict,
		CallbackURL: f.callbackURL}
	if !f.dryRun {
		rc, err := parseRedisURL(s.redisURL)
		if err != nil {
			return err
		}
		rdb, err := openRedis(ctx, rc)
		if err != nil {
			return err
		}
		defer rdb.Close()
		im.Jobs = jobs.NewClient(rdb, nil, jobs.Options{Queue: jobs.QueueBulk})
		defer im.Jobs.Close()
	}
	// Refused rows of a dry run are only known as they are read.
	failuresPath := orString(f.failures, strings.TrimSuffix(path, filepath.Ext(path))+".failures.csv")
	refused := &refusedRows{}
	if f.dryRun {
		im.Refused = refused.add
	}

	counted := &countingReader{r: file}
	prog := newProgress(stdout, f.interval)
	prog.startRead(info.Size())
	im.Progress = func(p batch.Progress) { prog.read(counted.n.Load(), p) }
	r, err := batch.NewReader(counted, format)
	if err != nil {
		return err
	}
	b, err = im.Import(ctx, b, r)
	prog.doneRead()
	if err != nil {
		return err
	}
	if f.dryRun {
		return refused.report(stdout, failuresPath)
	}
	fmt.Fprintf(stdout, "batch %s\n", b.ID)
	counts, err := st.CountBatchRows(ctx, org.ID, b.ID)
	if err != nil {
		return err
	}
	if f.wait {
		if counts, err = waitBatch(ctx, st, b, counts, prog); err != nil {
			return err
		}
	}
	printSummary(stdout, counts)
	bad := counts.ByStatus[store.RowInvalid] + counts.ByStatus[store.RowFailed] + counts.ByStatus[store.RowCanceled]
	if bad == 0 {
		return nil
	}
	if err := writeFailures(ctx, st, b, failuresPath); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "failed rows, with their reasons: %s\n", failuresPath)
	return fmt.Errorf("%d rows did not go in", bad)
}

// useImportCredentials checks and stores the file's credentials as the
// org's connection (batch.Importer.StoreCredentials) and makes the rows use
// it: --provider and --account become the connection's.
func useImportCredentials(ctx context.Context, s *settings, im *batch.Importer, orgID int64, f *importFlags, c batch.Credentials) error {
	switch {
	case c.Provider == "":
		c.Provider = strings.ToLower(f.provider)
	case f.provider != "" && !strings.EqualFold(f.provider, c.Provider):
		return fmt.Errorf("the credentials are for %s but --provider is %s", c.Provider, f.provider)
	}
	keys, err := parseKeys(s.secretKey)
	if err != nil {
		return err
	}
	provs, err := newProviders(s, 15*time.Second, telemetry.New())
	if err != nil {
		return err
	}
	im.Providers, im.Keys = provs, keys
	conn, err := im.StoreCredentials(ctx, orgID, c)
	if err != nil {
		return err
	}
	f.provider, f.account = c.Provider, conn.AccountID
	return nil
}

// importFormat is --format, or the file name's.
func importFormat(flag, path string) (batch.Format, error) {
	switch strings.ToLower(flag) {
	case "csv":
		return batch.CSV, nil
	case "jsonl", "ndjson":
		return batch.JSONLines, nil
	case "":
		switch strings.ToLower(filepath.Ext(path)) {
		case ".jsonl", ".ndjson":
			return batch.JSONLines, nil
		}
		return batch.CSV, nil
	}
	return "", fmt.Errorf("--format %q: want csv or jsonl", flag)
}

// fileSum is the SHA-256 of the file, read through once, and rewinds it.
func fileSum(f *os.File) ([]byte, error) {
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return nil, err
	}
	_, err := f.Seek(0, io.SeekStart)
	return h.Sum(nil), err
}

// fileBatchID names the batch of a file: the same file imported with the
// same flags into the same org is the same batch, so importing it again
// resumes it rather than starting over.
func fileBatchID(orgID int64, sum []byte, f importFlags) string {
	h := sha256.New()
	fmt.Fprintf(h, "switchboard import v1\x00%d\x00%x\x00%s\x00%s\x00%s\x00%t", orgID, sum, f.provider, f.account, f.target, f.strict)
	if f.callbackURL != "" { // only when set: earlier batches keep their ids
		fmt.Fprintf(h, "\x00%s", f.callbackURL)
	}
	return "bat_" + hex.EncodeToString(h.Sum(nil))[:24]
}

// waitBatch shows the jobs finishing until none is pending or queued.
func waitBatch(ctx context.Context, st store.Store, b store.Batch, counts store.BatchCounts, prog *progress) (store.BatchCounts, error) {
	total := counts.ByStatus[store.RowPending] + counts.ByStatus[store.RowQueued] + counts.ByStatus[store.RowSucceeded] + counts.ByStatus[store.RowFailed]
	prog.startJobs(total)
	defer prog.doneJobs()
	tick := time.NewTicker(500 * time.Millisecond)
	defer tick.Stop()
	for {
		done := counts.ByStatus[store.RowSucceeded] + counts.ByStatus[store.RowFailed]
		prog.jobs(done, counts)
		if counts.ByStatus[store.RowPending]+counts.ByStatus[store.RowQueued] == 0 {
			return counts, nil
		}
		select {
		case <-ctx.Done():
			return counts, ctx.Err()
		case <-tick.C:
		}
		var err error
		if counts, err = st.CountBatchRows(ctx, b.OrgID, b.ID); err != nil {
			return counts, err
		}
	}
}

func printSummary(w io.Writer, c store.BatchCounts) {
	n := func(s string) int { return c.ByStatus[s] }
	fmt.Fprintf(w, "succeeded %d, failed %d, refused %d, skipped %d (repeats), still queued %d, canceled %d\n",
		n(store.RowSucceeded), n(store.RowFailed), n(store.RowInvalid), n(store.RowSkipped), n(store.RowPending)+n(store.RowQueued), n(store.RowCanceled))
	printByCode(w, c.ByCode)
}

func printByCode(w io.Writer, byCode map[string]int) {
	codes := make([]string, 0, len(byCode))
	for code := range byCode {
		codes = append(codes, code)
	}
	sort.Slice(codes, func(i, j int) bool {
		return byCode[codes[i]] > byCode[codes[j]] || byCode[codes[i]] == byCode[codes[j]] && codes[i] < codes[j]
	})
	for _, code := range codes {
		fmt.Fprintf(w, "  %6d %s\n", byCode[code], code)
	}
}

func writeFailures(ctx context.Context, st store.Store, b store.Batch, path string) error {
	out, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := batch.WriteFailures(ctx, st, b.OrgID, b.ID, batch.NewFailureWriter(out)); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}

// refusedRows keeps a dry run's refused rows for its report. A dry run
// records nothing, so they are held in memory: a few hundred bytes each.
type refusedRows struct {
	rows   []store.BatchRow
	byCode map[string]int
}

func (r *refusedRows) add(row store.BatchRow) {
	if r.byCode == nil {
		r.byCode = map[string]int{}
	}
	if row.Status == store.RowSkipped {
		r.byCode["repeat (skipped)"]++
		return
	}
	r.byCode[row.Code]++
	r.rows = append(r.rows, row)
}

func (r *refusedRows) report(w io.Writer, path string) error {
	fmt.Fprintf(w, "dry run: nothing recorded or enqueued; %d rows would be refused\n", len(r.rows))
	printByCode(w, r.byCode)
	if len(r.rows) == 0 {
		return nil
	}
	out, err := os.Create(path)
	if err != nil {
		return err
	}
	fw := batch.NewFailureWriter(out)
	for _, row := range r.rows {
		if err := fw.Write(row); err != nil {
			out.Close()
			return err
		}
	}
	if err := errors.Join(fw.Flush(), out.Close()); err != nil {
		return err
	}
	fmt.Fprintf(w, "refused rows, with their reasons: %s\n", path)
	return fmt.Errorf("%d rows would be refused", len(r.rows))
}

// countingReader counts the bytes read, for the progress bar's position.
type countingReader struct {
	r io.Reader
	n atomic.Int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n.Add(int64(n))
	return n, err
}

func orString(s, def string) string {
	if s == "" {
		return def
	}
	return s
}
