package main

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"

	"github.com/switchboardhq/switchboard/internal/admin"
)

// adminCommand groups the admin dashboard's tools.
func adminCommand(stdin io.Reader, stdout io.Writer) *cobra.Command {
	cmd := &cobra.Command{Use: "admin", Short: "Admin dashboard tools"}
	cmd.AddCommand(&cobra.Command{
		Use:   "hash-password",
		Short: "Read a password on standard input and print its bcrypt hash, for SWITCHBOARD_ADMIN_USERS",
		Long: `hash-password reads one line (the password, 8 characters or more) from standard
input, so it stays out of the shell's history and the process list, and prints
its bcrypt hash. Put it in SWITCHBOARD_ADMIN_USERS as name:role:hash, e.g.

  printf '%s' "$PASSWORD" | switchboard admin hash-password`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			line, err := bufio.NewReader(stdin).ReadString('\n')
			if err != nil && !errors.Is(err, io.EOF) {
				return err
			}
			h, err := admin.HashPassword(strings.TrimRight(line, "\r\n"))
			if err != nil {
				return err
			}
			fmt.Fprintln(stdout, h)
			return nil
		},
	})
	return cmd
}
