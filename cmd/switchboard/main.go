// Command switchboard provisions phone numbers across voice providers: it
// runs the queue worker, the HTTP API, database migrations, or all of it at
// once with an embedded Redis, SQLite and a provider sandbox (`dev`).
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	// The first signal starts a graceful shutdown; once it has arrived,
	// signals get their default handling again, so a second one ends the
	// process at once.
	go func() { <-ctx.Done(); stop() }()
	err := run(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr)
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "switchboard:", err)
		os.Exit(1)
	}
}
