// Command stockgraph is the inventory GraphQL admin API: one binary that
// serves the API and manages its database. This file holds only main and
// the command table; every command lives in internal/cli. Run
// `stockgraph --help` for the commands, their flags and the environment.
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/spf13/cobra"

	"stockgraph/internal/cli"
)

// commands is the command table, in the order help lists them.
func commands() []*cobra.Command {
	return []*cobra.Command{
		cli.Serve(),
		cli.Migrate(),
		cli.Seed(),
		cli.Token(),
		cli.Import(),
		cli.Export(),
		cli.Bench(),
	}
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := cli.Execute(ctx, cli.NewRoot(commands()...))
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "stockgraph:", err)
		os.Exit(1)
	}
}
