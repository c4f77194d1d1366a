package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"stockgraph/internal/catalog"
	"stockgraph/internal/database"
	"stockgraph/internal/inventory"
	"stockgraph/internal/transfer"
	"stockgraph/models"
)

// exportCmd writes a store's inventory levels and settings to FILE, or
// to stdout without one:
//
//	stockgraph export --store HANDLE [--format csv|jsonl] [FILE]
func exportCmd(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("export", flag.ContinueOnError)
	handle := fs.String("store", "", "store handle")
	formatFlag := fs.String("format", "", "csv or jsonl (default: from FILE's extension, else csv)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *handle == "" || fs.NArg() > 1 {
		return errors.New("usage: stockgraph export --store HANDLE [--format csv|jsonl] [FILE]")
	}
	path := fs.Arg(0)
	format, err := transfer.ParseFormat(*formatFlag, path)
	if err != nil {
		return fmt.Errorf("export: %w", err)
	}
	db, store, err := openStore(ctx, *handle)
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

// importCmd applies a file of inventory levels and settings to a store:
//
//	stockgraph import --store HANDLE [--format csv|jsonl] [--mode absolute] [--reason TEXT] FILE
func importCmd(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("import", flag.ContinueOnError)
	handle := fs.String("store", "", "store handle")
	formatFlag := fs.String("format", "", "csv or jsonl (default: from FILE's extension, else csv)")
	mode := fs.String("mode", "absolute", "how quantities are read: absolute (the new levels) is the only mode")
	reason := fs.String("reason", "bulk import", "the reason recorded with every ledger movement")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *handle == "" || fs.NArg() != 1 {
		return errors.New("usage: stockgraph import --store HANDLE [--format csv|jsonl] [--mode absolute] [--reason TEXT] FILE")
	}
	if !strings.EqualFold(*mode, "absolute") {
		// Relative changes would be applied again by every re-run.
		return fmt.Errorf("import: --mode %q: only absolute is supported, so that running a file twice changes nothing", *mode)
	}
	path := fs.Arg(0)
	format, err := transfer.ParseFormat(*formatFlag, path)
	if err != nil {
		return fmt.Errorf("import: %w", err)
	}
	in, size, err := openInput(path)
	if err != nil {
		return err
	}
	defer in.Close()
	db, store, err := openStore(ctx, *handle)
	if err != nil {
		return err
	}
	defer db.Close()
	p := transfer.NewProgress(os.Stderr, transfer.IsTerminal(os.Stderr), size, "imported")
	rep, err := transfer.Import(ctx, db.DB, inventory.Actor{Store: store}, in, transfer.ImportOptions{
		Format: format, Reason: *reason, Reference: reference(path), Progress: p,
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
