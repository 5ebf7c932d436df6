package main

import (
	"fmt"
	"io"

	"github.com/spf13/cobra"
)

func migrateCommand(getenv func(string) string, stdout, stderr io.Writer) *cobra.Command {
	s := &settings{}
	cmd := &cobra.Command{
		Use:   "migrate",
		Short: "Bring the database schema up to date (safe to run concurrently and repeatedly)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := s.require("database"); err != nil {
				return err
			}
			st, err := openStore(cmd.Context(), s.databaseURL, 0)
			if err != nil {
				return err
			}
			defer st.Close()
			if err := st.Migrate(cmd.Context()); err != nil {
				return err
			}
			fmt.Fprintln(stdout, "database schema is up to date")
			return nil
		},
	}
	s.bind(cmd.Flags(), getenv, "database")
	return cmd
}
