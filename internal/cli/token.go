package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"
	"gorm.io/gorm"

	"stockgraph/internal/auth"
	"stockgraph/internal/catalog"
	"stockgraph/models"
)

// Token is `stockgraph token` with its create and revoke commands.
func Token() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "token",
		Short: "Create, list or revoke API tokens",
		Args:  noArgs,
		// Without a subcommand there is nothing to do: say which there are,
		// and fail, so that a script missing one does not pass silently.
		RunE: func(cmd *cobra.Command, _ []string) error {
			return usageError{errors.New("token: name a command, create, list or revoke")}
		},
	}
	cmd.AddCommand(tokenCreate(), tokenList(), tokenRevoke())
	return cmd
}

func tokenCreate() *cobra.Command {
	var handle, scopeList, name string
	var expires time.Duration
	cmd := &cobra.Command{
		Use:   "create --store HANDLE [--scopes LIST] [--name NAME] [--expires 720h]",
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
			if expires < 0 {
				return usageError{fmt.Errorf("token create: --expires %s is negative; give how long the token lives, such as 720h", expires)}
			}
			return withStore(cmd, handle, func(ctx context.Context, db *gorm.DB, store models.Store) error {
				var until time.Time
				if expires > 0 {
					until = time.Now().Add(expires)
				}
				token, err := auth.CreateToken(ctx, db, store.ID, name, scopes, until)
				if err != nil {
					return err
				}
				fmt.Fprintln(cmd.OutOrStdout(), token)
				return nil
			})
		},
	}
	storeFlag(cmd, &handle)
	cmd.Flags().StringVar(&scopeList, "scopes", "read_inventory", "comma-separated scopes")
	cmd.Flags().StringVar(&name, "name", "cli", "a name to recognise the token by")
	cmd.Flags().DurationVar(&expires, "expires", 0, "how long the token works, such as 720h (0: until revoked)")
	return cmd
}

// tokenList prints a store's tokens, revoked ones too, never the tokens
// themselves (only their hashes are kept).
func tokenList() *cobra.Command {
	var handle string
	cmd := &cobra.Command{
		Use:     "list --store HANDLE",
		Short:   "List a store's tokens: ID, name, scopes, created, expires, last used, revoked",
		Example: "  stockgraph token list --store demo",
		Args:    noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return withStore(cmd, handle, func(ctx context.Context, db *gorm.DB, store models.Store) error {
				return printTokens(ctx, cmd, db, store)
			})
		},
	}
	storeFlag(cmd, &handle)
	return cmd
}

// printTokens writes the store's tokens as a table.
func printTokens(ctx context.Context, cmd *cobra.Command, db *gorm.DB, store models.Store) error {
	tokens, err := auth.ListTokens(ctx, db, store.ID)
	if err != nil {
		return err
	}
	w := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 4, 2, ' ', 0)
	fmt.Fprintln(w, "ID\tNAME\tSCOPES\tCREATED\tEXPIRES\tLAST USED\tREVOKED")
	for _, t := range tokens {
		fmt.Fprintf(w, "%d\t%s\t%s\t%s\t%s\t%s\t%s\n", t.ID, t.Name, strings.Join(t.Scopes, ","),
			t.CreatedAt.UTC().Format(time.RFC3339), when(t.ExpiresAt), when(t.LastUsedAt), when(t.RevokedAt))
	}
	return w.Flush()
}

// withStore opens the database and finds the store named by --store for
// a command's work.
func withStore(cmd *cobra.Command, handle string, fn func(ctx context.Context, db *gorm.DB, store models.Store) error) error {
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
	return fn(ctx, db.DB, store)
}

// when writes an optional time, or "-".
func when(t *time.Time) string {
	if t == nil {
		return "-"
	}
	return t.UTC().Format(time.RFC3339)
}

func scopeNames() []string {
	names := make([]string, len(auth.AllScopes))
	for i, s := range auth.AllScopes {
		names[i] = string(s)
	}
	return names
}

// tokenRevoke stops a token from working: named by the token itself
// (read from the argument or, when that is "-", from standard input, which
// keeps it out of the shell's history and the process list), or by the
// ID that token list shows.
func tokenRevoke() *cobra.Command {
	var handle string
	var id int64
	cmd := &cobra.Command{
		Use:   "revoke TOKEN | revoke --store HANDLE --id ID",
		Short: "Revoke a token at once, also on open websocket connections",
		Long:  "Revoke a token at once, also on open websocket connections. TOKEN - reads the token from standard input; --store and --id name it as token list shows it.",
		Args: func(cmd *cobra.Command, args []string) error {
			switch {
			case id != 0 && len(args) == 0:
				return nil
			case id != 0:
				return usageError{errors.New("token revoke: give either TOKEN or --store and --id, not both")}
			case len(args) != 1:
				return fmt.Errorf("token revoke needs one TOKEN (- to read it from stdin), or --store HANDLE --id ID; got %d arguments", len(args))
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			db, err := openDB(cmd.Context(), true)
			if err != nil {
				return err
			}
			defer db.Close()
			if err := revokeNamed(cmd, db.DB, args, handle, id); err != nil {
				return fmt.Errorf("token revoke: %w", err)
			}
			fmt.Fprintln(os.Stderr, "token revoked")
			return nil
		},
	}
	cmd.Flags().StringVar(&handle, "store", "", "the store whose token --id names")
	cmd.Flags().Int64Var(&id, "id", 0, "the token's ID, as token list shows it")
	return cmd
}

// revokeNamed revokes the token the arguments name.
func revokeNamed(cmd *cobra.Command, db *gorm.DB, args []string, handle string, id int64) error {
	ctx := cmd.Context()
	if id != 0 {
		store, err := catalog.StoreByHandle(db.WithContext(ctx), handle)
		if err != nil {
			return err
		}
		return auth.RevokeTokenByID(ctx, db, store.ID, id)
	}
	token := args[0]
	if token == "-" {
		b, err := io.ReadAll(io.LimitReader(cmd.InOrStdin(), 1024))
		if err != nil {
			return err
		}
		token = strings.TrimSpace(string(b))
	}
	return auth.RevokeToken(ctx, db, token)
}
