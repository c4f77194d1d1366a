package cli

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"stockgraph/internal/catalog"
	"stockgraph/internal/database"
	"stockgraph/internal/inventory"
	"stockgraph/internal/transfer"
	"stockgraph/models"
)

// Export is `stockgraph export`: a store's inventory levels and settings
// to FILE, or to stdout without one.
func Export() *cobra.Command {
	var handle, format string
	cmd := &cobra.Command{
		Use:   "export --store HANDLE [--format csv|jsonl] [FILE]",
		Short: "Write a store's inventory levels and settings as CSV or JSON Lines",
		Long: `Write a store's inventory levels and settings, one row per item at a physical
location, ordered by location code and SKU, from one snapshot. Without FILE,
or with -, to stdout. A file is written whole or not at all.`,
		Example: "  stockgraph export --store demo stock.csv\n  stockgraph export --store demo --format jsonl > stock.jsonl",
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) > 1 {
				return fmt.Errorf("export takes at most one FILE, got %d arguments", len(args))
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			path := ""
			if len(args) == 1 {
				path = args[0]
			}
			return runExport(cmd.Context(), handle, format, path)
		},
	}
	storeFlag(cmd, &handle)
	formatFlag(cmd, &format)
	return cmd
}

func runExport(ctx context.Context, handle, formatName, path string) error {
	format, err := transfer.ParseFormat(formatName, path)
	if err != nil {
		return fmt.Errorf("export: %w", err)
	}
	db, store, err := openStore(ctx, handle)
	if err != nil {
		return err
	}
	defer db.Close()
	start := time.Now()
	p := transfer.NewProgress(os.Stderr, transfer.IsTerminal(os.Stderr), 0, "exported")
	if (path == "" || path == "-") && transfer.IsTerminal(os.Stdout) {
		p = nil // a bar would be drawn over the rows
	}
	var n int
	err = writeOutput(path, func(w io.Writer) (werr error) {
		n, werr = transfer.ExportWithProgress(ctx, db.DB, store.ID, w, format, p)
		return werr
	})
	if err != nil {
		return err
	}
	elapsed := time.Since(start)
	fmt.Fprintf(os.Stderr, "exported %d rows in %s (%.0f rows/s)\n", n, elapsed.Round(time.Millisecond), float64(n)/elapsed.Seconds())
	return nil
}

// writeOutput runs write on stdout for "" and "-", and otherwise on a
// temporary file renamed to path when write succeeds, so that a failed
// export never leaves a truncated file that looks complete.
func writeOutput(path string, write func(io.Writer) error) error {
	if path == "" || path == "-" {
		return write(os.Stdout)
	}
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*")
	if err != nil {
		return fmt.Errorf("export: %w", err)
	}
	defer os.Remove(f.Name()) // fails harmlessly once renamed
	if err := write(f); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("export: %w", err)
	}
	if err := os.Chmod(f.Name(), 0o644); err != nil {
		return fmt.Errorf("export: %w", err)
	}
	if err := os.Rename(f.Name(), path); err != nil {
		return fmt.Errorf("export: %w", err)
	}
	return nil
}

// importOptions are the flags of `stockgraph import`.
type importOptions struct {
	handle, format, mode, reason string
}

// Import is `stockgraph import`: a file of inventory levels and settings
// applied to a store.
func Import() *cobra.Command {
	var o importOptions
	cmd := &cobra.Command{
		Use:   "import --store HANDLE [--format csv|jsonl] [--reason TEXT] FILE",
		Short: "Apply a CSV or JSON Lines file of inventory levels and settings",
		Long: `Apply a CSV or JSON Lines file (- for stdin) of inventory levels and settings
to a store, through the same rules and ledger as the API. Quantities are
absolute, so running a file twice changes nothing. A bad row is reported as
"line N: message" and the import goes on; the exit status is non-zero when any
row failed.`,
		Example: "  stockgraph import --store demo stock.csv\n  stockgraph import --store demo --reason \"stock count\" stock.jsonl",
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) != 1 {
				return fmt.Errorf("import needs one FILE (- for stdin), got %d arguments", len(args))
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			return runImport(cmd.Context(), o, args[0])
		},
	}
	storeFlag(cmd, &o.handle)
	formatFlag(cmd, &o.format)
	cmd.Flags().StringVar(&o.mode, "mode", "absolute", "how quantities are read: absolute (the new levels) is the only mode")
	cmd.Flags().StringVar(&o.reason, "reason", "bulk import", "the reason recorded with every ledger movement")
	return cmd
}

func runImport(ctx context.Context, o importOptions, path string) error {
	if !strings.EqualFold(o.mode, "absolute") {
		// Relative changes would be applied again by every re-run.
		return fmt.Errorf("import: --mode %q: only absolute is supported, so that running a file twice changes nothing", o.mode)
	}
	format, err := transfer.ParseFormat(o.format, path)
	if err != nil {
		return fmt.Errorf("import: %w", err)
	}
	in, size, err := openInput(path)
	if err != nil {
		return err
	}
	defer in.Close()
	db, store, err := openStore(ctx, o.handle)
	if err != nil {
		return err
	}
	defer db.Close()
	p := transfer.NewProgress(os.Stderr, transfer.IsTerminal(os.Stderr), size, "imported")
	rep, err := transfer.Import(ctx, db.DB, inventory.Actor{Store: store}, in, transfer.ImportOptions{
		Format: format, Reason: o.reason, Reference: reference(path), Progress: p,
		OnError: func(e *transfer.LineError) { p.Log(e.Error()) },
	})
	if err == nil || rep.Read > 0 {
		fmt.Fprintln(os.Stderr, rep)
	}
	switch {
	case err != nil:
		return err
	case rep.Failed > 0:
		return fmt.Errorf("import: %d of %d rows failed; fix them and run the file again (applied rows stay as they are)", rep.Failed, rep.Read)
	}
	return nil
}

// openInput opens path, or stdin for "-", and returns its size when known.
func openInput(path string) (io.ReadCloser, int64, error) {
	if path == "-" {
		return io.NopCloser(os.Stdin), 0, nil
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, 0, fmt.Errorf("import: %w", err)
	}
	var size int64
	if fi, err := f.Stat(); err == nil && fi.Mode().IsRegular() {
		size = fi.Size()
	}
	return f, size, nil
}

// reference names the file in the ledger, within its 255 characters.
func reference(path string) string {
	ref := "import " + filepath.Base(path)
	if len(ref) > 255 {
		ref = strings.ToValidUTF8(ref[:255], "") // drop a rune cut in two
	}
	return ref
}

// openStore opens the database and loads the store; the caller closes db.
func openStore(ctx context.Context, handle string) (*database.DB, models.Store, error) {
	db, err := openDB(ctx, true)
	if err != nil {
		return nil, models.Store{}, err
	}
	store, err := catalog.StoreByHandle(db.WithContext(ctx), handle)
	if err != nil {
		db.Close()
		return nil, models.Store{}, err
	}
	return db, store, nil
}
