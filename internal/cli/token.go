package cli

import (
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"stockgraph/internal/auth"
	"stockgraph/internal/catalog"
)

// Token is `stockgraph token` with its create and revoke commands.
func Token() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "token",
		Short: "Create or revoke API tokens",
		Args:  noArgs,
		// Without a subcommand there is nothing to do: say which there are,
		// and fail, so that a script missing one does not pass silently.
		RunE: func(cmd *cobra.Command, _ []string) error {
			return usageError{errors.New("token: name a command, create or revoke")}
		},
	}
	cmd.AddCommand(tokenCreate(), tokenRevoke())
	return cmd
}

func tokenCreate() *cobra.Command {
	var handle, scopeList, name string
	cmd := &cobra.Command{
		Use:   "create --store HANDLE [--scopes LIST] [--name NAME]",
		Short: "Create a token for a store and print it",
		Long: `Create a token for a store and print it on stdout; only its SHA-256 is kept.
Scopes: ` + strings.Join(scopeNames(), ", ") + ".",
		Example: "  stockgraph token create --store demo --scopes read_inventory,write_inventory",
		Args:    noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			scopes, err := auth.ParseScopes(scopeList)
			if err != nil {
				return fmt.Errorf("token create: %w", err)
			}
			ctx := cmd.Context()
			db, err := openDB(ctx, true)
			if err != nil {
				return err
			}
			defer db.Close()
			store, err := catalog.StoreByHandle(db.WithContext(ctx), handle)
			if err != nil {
				return err
			}
			token, err := auth.CreateToken(ctx, db.DB, store.ID, name, scopes)
			if err != nil {
				return err
			}
			fmt.Fprintln(cmd.OutOrStdout(), token)
			return nil
		},
	}
	storeFlag(cmd, &handle)
	cmd.Flags().StringVar(&scopeList, "scopes", "read_inventory", "comma-separated scopes")
	cmd.Flags().StringVar(&name, "name", "cli", "a name to recognise the token by")
	return cmd
}

func scopeNames() []string {
	names := make([]string, len(auth.AllScopes))
	for i, s := range auth.AllScopes {
		names[i] = string(s)
	}
	return names
}

// tokenRevoke stops a token from working; the token is read from the
// argument or, when that is "-", from standard input, which keeps it out
// of the shell's history and the process list.
func tokenRevoke() *cobra.Command {
	return &cobra.Command{
		Use:   "revoke TOKEN",
		Short: "Revoke a token at once, also on open websocket connections",
		Long:  "Revoke a token at once, also on open websocket connections. TOKEN - reads the token from standard input.",
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) != 1 {
				return fmt.Errorf("token revoke needs one TOKEN (- to read it from stdin), got %d arguments", len(args))
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			token := args[0]
			if token == "-" {
				b, err := io.ReadAll(io.LimitReader(cmd.InOrStdin(), 1024))
				if err != nil {
					return err
				}
				token = strings.TrimSpace(string(b))
			}
			db, err := openDB(cmd.Context(), true)
			if err != nil {
				return err
			}
			defer db.Close()
			if err := auth.RevokeToken(cmd.Context(), db.DB, token); err != nil {
				return fmt.Errorf("token revoke: %w", err)
			}
			fmt.Fprintln(os.Stderr, "token revoked")
			return nil
		},
	}
}
