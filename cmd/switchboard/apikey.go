package main

import (
	"errors"
	"fmt"
	"io"

	"github.com/spf13/cobra"

	"github.com/switchboardhq/switchboard/internal/api"
	"github.com/switchboardhq/switchboard/internal/store"
)

func apikeyCommand(getenv func(string) string, stdout, stderr io.Writer) *cobra.Command {
	s := &settings{}
	var org string
	create := &cobra.Command{
		Use:   "create",
		Short: "Create an API key for an org (created if new); the key is printed once",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := s.require("database"); err != nil {
				return err
			}
			if org == "" {
				return errors.New("--org is required")
			}
			ctx := cmd.Context()
			st, err := openStore(ctx, s.databaseURL, 0)
			if err != nil {
				return err
			}
			defer st.Close()
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
		},
	}
	create.Flags().StringVar(&org, "org", "", "org name")
	s.bind(create.Flags(), getenv, "database")
	cmd := &cobra.Command{Use: "apikey", Short: "Manage API keys"}
	cmd.AddCommand(create)
	return cmd
}
