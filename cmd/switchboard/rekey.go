package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"github.com/switchboardhq/switchboard/internal/store"
	"github.com/switchboardhq/switchboard/jobs"
)

func rekeyCommand(getenv func(string) string, stdout, stderr io.Writer) *cobra.Command {
	s := &settings{}
	var dryRun bool
	cmd := &cobra.Command{
		Use:   "rekey",
		Short: "Re-seal every stored connection's credentials with the primary key of SWITCHBOARD_SECRET_KEY",
		Long: `rekey re-seals the provider credentials of every org's connections that are
sealed with a key other than the primary (first) key of SWITCHBOARD_SECRET_KEY,
so that older keys can be removed from the ring. Run it once the new key is
primary in every api and worker. It is safe to run again, and beside running
workers: a connection replaced while rekey runs keeps its new value.

A value that does not open with the ring is reported by connection id and
left as it is; rekey then exits non-zero. --dry-run opens and counts but
writes nothing: run it with the old key left out of the ring to check that
nothing still needs it.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := s.require("database", "secret-key"); err != nil {
				return err
			}
			keys, err := parseKeys(s.secretKey)
			if err != nil {
				return err
			}
			st, err := openStore(cmd.Context(), s.databaseURL, 0)
			if err != nil {
				return err
			}
			defer st.Close()
			sum, err := rekey(cmd.Context(), st, keys, dryRun, stderr)
			if err != nil {
				return err
			}
			sum.print(stdout)
			if sum.failed > 0 {
				return fmt.Errorf("%d connection(s) did not open with SWITCHBOARD_SECRET_KEY and were left as they are", sum.failed)
			}
			return nil
		},
	}
	cmd.Flags().BoolVar(&dryRun, "dry-run", false, "open and count the connections to re-seal, change nothing")
	s.bind(cmd.Flags(), getenv, "database", "secret-key")
	return cmd
}

// rekeySummary is what a rekey run found and did.
type rekeySummary struct {
	dryRun   bool
	primary  string
	total    int
	byKey    map[string]int // connections per key label, before rekey
	current  int            // already sealed with the primary key
	resealed int            // re-sealed (with dryRun: would be)
	changed  int            // replaced by another writer between read and write, left alone
	failed   int            // did not open
}

// rekey re-seals with the primary key every connection sealed with another
// key (only opens them when dryRun), reporting on w each one that does not
// open. The error is the store's; connections that do not open are counted
// in failed.
func rekey(ctx context.Context, st store.Store, keys *jobs.KeyRing, dryRun bool, w io.Writer) (rekeySummary, error) {
	sum := rekeySummary{dryRun: dryRun, primary: keys.PrimaryKeyID(), byKey: map[string]int{}}
	tried := 0
	n, err := st.ResealConnections(ctx, func(c store.Connection) (jobs.Sealed, bool, error) {
		sum.total++
		sum.byKey[keyLabel(c.Credentials)]++
		if c.Credentials.KeyID() == sum.primary {
			sum.current++
			return "", false, nil
		}
		creds, err := keys.OpenCredentials(c.Credentials)
		if err != nil {
			sum.failed++
			fmt.Fprintf(w, "connection %s (org %d, %s): %s\n", c.ID, c.OrgID, c.Provider, openFailure(c.Credentials, err))
			return "", false, nil
		}
		tried++
		if dryRun {
			return "", false, nil
		}
		sealed, err := keys.SealCredentials(creds)
		if err != nil {
			return "", false, fmt.Errorf("connection %s: %w", c.ID, err)
		}
		return sealed, true, nil
	})
	if dryRun {
		sum.resealed = tried
	} else {
		sum.resealed, sum.changed = n, tried-n
	}
	if err != nil {
		return sum, fmt.Errorf("rekey: %w (%d connection(s) re-sealed before it)", err, n)
	}
	return sum, nil
}

// keyLabel names the key that sealed s, quoted, without ever showing
// more of s than a well-formed key id.
func keyLabel(s jobs.Sealed) string {
	id, _, ok := strings.Cut(string(s), ":")
	if !ok || id == "" || len(id) > 32 || strings.ContainsFunc(id, func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '_' || r == '-')
	}) {
		return "(not a sealed value)"
	}
	return fmt.Sprintf("%q", id)
}

// openFailure explains why s did not open, without key material or any of
// the value itself.
func openFailure(s jobs.Sealed, err error) string {
	if errors.Is(err, jobs.ErrUnknownKey) {
		return fmt.Sprintf("sealed with key %s, which SWITCHBOARD_SECRET_KEY does not hold", keyLabel(s))
	}
	return fmt.Sprintf("sealed with key %s but does not open (tampered with, truncated, or not sealed credentials)", keyLabel(s))
}

func (s rekeySummary) print(w io.Writer) {
	if s.dryRun {
		fmt.Fprintln(w, "dry run: nothing was written")
	}
	fmt.Fprintf(w, "connections: %d\n", s.total)
	labels := make([]string, 0, len(s.byKey))
	for l := range s.byKey {
		labels = append(labels, l)
	}
	slices.Sort(labels)
	for _, l := range labels {
		primary := ""
		if l == fmt.Sprintf("%q", s.primary) {
			primary = " (primary)"
		}
		fmt.Fprintf(w, "  sealed with key %s%s: %d\n", l, primary, s.byKey[l])
	}
	if s.dryRun {
		fmt.Fprintf(w, "would re-seal with %q: %d\n", s.primary, s.resealed)
	} else {
		fmt.Fprintf(w, "re-sealed with %q: %d\n", s.primary, s.resealed)
	}
	fmt.Fprintf(w, "already current: %d\n", s.current)
	if !s.dryRun {
		fmt.Fprintf(w, "replaced meanwhile, left as is: %d\n", s.changed)
	}
	fmt.Fprintf(w, "failed: %d\n", s.failed)
}
