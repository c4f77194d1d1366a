// Package cli owns stockgraph's command line: one cobra command per
// subcommand (serve, migrate, seed, token, bench, import, export), the
// flags they share, and how they find the database. The binary's main
// (server.go) only assembles these commands into the root.
package cli

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/spf13/cobra"
)

// environment is the part of the root help that lists the variables the
// commands read; the README's configuration table says the same.
const environment = `Environment:
  DATABASE_URL            postgres://user@host:port/db; when unset, the private
                          cluster of scripts/pg.sh (127.0.0.1:$STOCKGRAPH_PGPORT,
                          default 55432, database stockgraph) when it answers
  LISTEN_ADDR             where serve listens (default 127.0.0.1:8080)
  STOCKGRAPH_ADMIN_ADDR   where serve's admin listener (pprof, /metrics) listens
                          (off when unset; bind it to a private address)
  STOCKGRAPH_PUBLIC_METRICS=1
                          serve /metrics on LISTEN_ADDR too
  STOCKGRAPH_DEV_TOKEN    a token prefilled in GraphiQL's headers (development)
  STOCKGRAPH_LOADER_WAIT  how long dataloaders collect keys (default 1ms)
  STOCKGRAPH_PGPORT       the private cluster's port (default 55432)
  STOCKGRAPH_WEBHOOK_ALLOW_PRIVATE=1
                          let webhooks reach loopback and private addresses
  STOCKGRAPH_WEBHOOK_TIMEOUT
                          how long one webhook attempt may take (default 10s)
  STOCKGRAPH_BULK_URL_SECRET
                          the key that signs bulk operations' download URLs
                          (default: one generated and kept in the database)
  STOCKGRAPH_BULK_MAX_UPLOAD_BYTES
                          the largest bulk import file (default 268435456)
  STOCKGRAPH_BULK_LEASE   how long a dead replica's bulk operation waits before
                          another resumes it (default 30s)
  STOCKGRAPH_PUBLIC_URL   the address download URLs start with, such as
                          https://api.example.com (default: the request's)`

// NewRoot returns the stockgraph command with cmds as its subcommands.
// Run without a subcommand, it serves, as `stockgraph serve` does.
func NewRoot(cmds ...*cobra.Command) *cobra.Command {
	cobra.EnableCommandSorting = false // list commands in the table's order
	root := &cobra.Command{
		Use:   "stockgraph",
		Short: "The inventory GraphQL admin API, and the tools that manage its database",
		Long: `stockgraph serves the inventory GraphQL admin API (GraphiQL at /, GraphQL at
/graphql) and manages its database. Without a command it serves.`,
		Args: noArgs,
		RunE: runServe,
		// Errors are printed once, by main, with the command's name; usage
		// is printed for mistakes in the command line only (see flagError).
		SilenceErrors: true,
		SilenceUsage:  true,
	}
	root.CompletionOptions.DisableDefaultCmd = true
	// Every command reads the environment, so every help lists it.
	root.SetUsageTemplate(root.UsageTemplate() + "\n" + environment + "\n")
	root.SetHelpCommand(helpCommand())
	root.AddCommand(cmds...)
	root.SetFlagErrorFunc(flagError)
	return root
}

// helpCommand is cobra's help command, except that an unknown topic is an
// error rather than the root's help with exit status 0.
func helpCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "help [command]",
		Short: "Help about any command",
		RunE: func(c *cobra.Command, args []string) error {
			cmd, rest, err := c.Root().Find(args)
			if err != nil {
				return err
			}
			if len(rest) > 0 {
				return usageError{fmt.Errorf("unknown help topic %q", strings.Join(args, " "))}
			}
			return cmd.Help()
		},
	}
}

// flagError marks a flag parsing error as a mistake in the command line.
func flagError(_ *cobra.Command, err error) error {
	return usageError{err}
}

// usageError is a mistake in the command line, as opposed to a failure of
// a command that ran.
type usageError struct{ error }

func (e usageError) Unwrap() error { return e.error }

// Execute runs root and returns its error, telling the user where to read
// the usage when the command line was wrong: an unknown command or flag, a
// missing argument or required flag. Help exits 0 (a nil error).
func Execute(ctx context.Context, root *cobra.Command) error {
	started := false
	// Runs once the arguments are checked; cobra checks required flags
	// only after it, so it checks them itself to call them a usage error.
	root.PersistentPreRunE = func(cmd *cobra.Command, _ []string) error {
		if err := cmd.ValidateRequiredFlags(); err != nil {
			return usageError{err}
		}
		started = true
		return nil
	}
	cmd, err := root.ExecuteContextC(ctx)
	if err == nil {
		return nil
	}
	var u usageError
	if errors.As(err, &u) || !started {
		return fmt.Errorf("%w\nRun '%s --help' for usage", err, cmd.CommandPath())
	}
	return err
}

// noArgs refuses arguments: an unknown command where the command has
// subcommands, else an unexpected argument.
func noArgs(cmd *cobra.Command, args []string) error {
	if len(args) == 0 {
		return nil
	}
	if !cmd.HasSubCommands() {
		return fmt.Errorf("%s takes no arguments, got %q", cmd.CommandPath(), args[0])
	}
	err := fmt.Sprintf("unknown command %q for %q", args[0], cmd.CommandPath())
	cmd.SuggestionsMinimumDistance = 2
	if s := cmd.SuggestionsFor(args[0]); len(s) > 0 {
		err += fmt.Sprintf("; did you mean %s?", strings.Join(s, " or "))
	}
	return errors.New(err)
}

// storeFlag declares --store the same way on every command that needs a
// store, and makes it required.
func storeFlag(cmd *cobra.Command, handle *string) {
	cmd.Flags().StringVar(handle, "store", "", "the store's handle, such as demo (required)")
	_ = cmd.MarkFlagRequired("store")
}

// formatFlag declares --format the same way on import and export.
func formatFlag(cmd *cobra.Command, format *string) {
	cmd.Flags().StringVar(format, "format", "", "csv or jsonl (default: from FILE's extension, else csv)")
}
