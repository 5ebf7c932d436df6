package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/switchboardhq/switchboard/internal/api"
	"github.com/switchboardhq/switchboard/internal/store"
)

func apikeyCommand(getenv func(string) string, stdout, stderr io.Writer) *cobra.Command {
	s := &settings{}
	var org string
	// withStore runs fn on the store of --database, open for its duration.
	withStore := func(cmd *cobra.Command, needOrg bool, fn func(ctx context.Context, st store.Store) error) error {
		if err := s.require("database"); err != nil {
			return err
		}
		if needOrg && org == "" {
			return errors.New("--org is required")
		}
		st, err := openStore(cmd.Context(), s.databaseURL, 0)
		if err != nil {
			return err
		}
		defer st.Close()
		return fn(cmd.Context(), st)
	}

	create := &cobra.Command{
		Use:   "create",
		Short: "Create an API key for an org (created if new); the key is printed once",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return withStore(cmd, true, func(ctx context.Context, st store.Store) error {
				o, err := st.GetOrgByName(ctx, org)
				if errors.Is(err, store.ErrNotFound) {
					o, err = st.CreateOrg(ctx, org)
				}
				if err != nil {
					return err
				}
				plain, k := api.NewAPIKey(o.ID)
				if err := st.CreateAPIKey(ctx, k); err != nil {
					return err
				}
				fmt.Fprintf(stdout, "%s\n", plain)
				fmt.Fprintf(stderr, "API key for org %q (id %d) created; it is not shown again.\n", o.Name, o.ID)
				return nil
			})
		},
	}
	create.Flags().StringVar(&org, "org", "", "org name")
	s.bind(create.Flags(), getenv, "database")

	list := &cobra.Command{
		Use:   "list",
		Short: "List an org's API keys: their public ids and when they were made (keys themselves are never stored)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return withStore(cmd, true, func(ctx context.Context, st store.Store) error {
				o, err := st.GetOrgByName(ctx, org)
				if errors.Is(err, store.ErrNotFound) {
					return fmt.Errorf("no org named %q", org)
				} else if err != nil {
					return err
				}
				keys, err := st.ListAPIKeys(ctx, o.ID)
				if err != nil {
					return err
				}
				tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
				fmt.Fprintln(tw, "ID\tCREATED")
				for _, k := range keys {
					fmt.Fprintf(tw, "%s\t%s\n", k.ID, k.CreatedAt.UTC().Format(time.RFC3339))
				}
				return tw.Flush()
			})
		},
	}
	list.Flags().StringVar(&org, "org", "", "org name")
	s.bind(list.Flags(), getenv, "database")

	revoke := &cobra.Command{
		Use:   "revoke ID|KEY",
		Short: "Revoke an API key, named by its id (from `apikey list`) or the key itself; it stops working at once",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			id := args[0]
			if strings.HasPrefix(id, "sbk_") {
				id = api.KeyID(id)
			}
			return withStore(cmd, false, func(ctx context.Context, st store.Store) error {
				if err := st.DeleteAPIKey(ctx, id); errors.Is(err, store.ErrNotFound) {
					return fmt.Errorf("no API key with id %q", id)
				} else if err != nil {
					return err
				}
				fmt.Fprintf(stderr, "API key %s revoked.\n", id)
				return nil
			})
		},
	}
	s.bind(revoke.Flags(), getenv, "database")

	cmd := &cobra.Command{Use: "apikey", Short: "Manage API keys"}
	cmd.AddCommand(create, list, revoke)
	return cmd
}
