package transfer

import (
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
	"time"
	"unicode"

	"gorm.io/gorm"

	"stockgraph/internal/apperr"
	"stockgraph/internal/database"
	"stockgraph/internal/inventory"
	"stockgraph/models"
)

// ImportOptions say how to read and record an import.
type ImportOptions struct {
	Format Format
	// Reason and Reference are recorded with every ledger movement;
	// Reason defaults to "bulk import".
	Reason    string
	Reference string
	// BatchSize is the rows applied per call of the inventory package,
	// at most and by default inventory.MaxBatch.
	BatchSize int
	// OnError receives each failed row, in line order within a batch.
	OnError func(*LineError)
	// Progress is shown while reading; nil for none.
	Progress *Progress
	// Checkpoint, when set, is called at the end of each batch's
	// transaction with the counts so far (the failures of the batch were
	// handed to OnError just before): what it writes commits with the
	// batch's changes or not at all, so that an import that stops can
	// resume after its last committed batch. Its error rolls the batch
	// back and stops the import.
	Checkpoint func(tx *gorm.DB, done Report) error
	// Resume continues an import whose first Resume.Read rows were applied
	// (a Checkpoint's Report): they are read again only to know the items
	// they named, and the counts go on from Resume's.
	Resume Report
	// DryRun checks every row as the import would apply it, rolling each
	// batch back: the report says what the import would do.
	DryRun bool
}

// FileError is an import stopped by its file: no header, an unknown
// column, a malformed structure. Other errors of Import are the
// database's or the reader's.
type FileError struct{ Err error }

func (e *FileError) Error() string { return e.Err.Error() }

func (e *FileError) Unwrap() error { return e.Err }

// Report says what an import did. Applied rows are the changed ones and
// the unchanged ones, whose values the items had already.
type Report struct {
	Read, Changed, Unchanged, Failed int
	Duration                         time.Duration
}

// Applied is the number of rows that passed.
func (r Report) Applied() int { return r.Changed + r.Unchanged }

func (r Report) String() string {
	rate := 0.0
	if r.Duration > 0 {
		rate = float64(r.Read) / r.Duration.Seconds()
	}
	return fmt.Sprintf("%d rows read, %d applied (%d changed, %d unchanged), %d failed in %s (%.0f rows/s)",
		r.Read, r.Applied(), r.Changed, r.Unchanged, r.Failed, r.Duration.Round(time.Millisecond), rate)
}

// Import applies a file's rows to the actor's store. Quantities are set
// as absolute adjustments and settings through inventory.UpdateSettings,
// so every rule and the ledger apply; values an item has already are left
// alone, which makes running a file twice a no-op. A row's settings are
// applied before its quantities, since a new backorder limit may be what
// allows a new backordered quantity; a row whose quantities then fail
// keeps its new settings. Bad rows go to OnError and the import goes on;
// the error is for what stops it: an unreadable file or header, or the
// database. Each batch is applied in one transaction.
func Import(ctx context.Context, db *gorm.DB, actor inventory.Actor, r io.Reader, o ImportOptions) (Report, error) {
	start := time.Now()
	if o.BatchSize <= 0 || o.BatchSize > inventory.MaxBatch {
		o.BatchSize = inventory.MaxBatch
	}
	if strings.TrimSpace(o.Reason) == "" {
		o.Reason = "bulk import"
	}
	if len(o.Reason) > 255 || len(o.Reference) > 255 {
		return Report{}, errors.New("import: the reason and the reference have at most 255 characters")
	}
	in := &countingReader{r: r}
	dec, err := newDecoder(o.Format, in)
	if err != nil {
		if in.err != nil {
			return Report{}, fmt.Errorf("import: read: %w", in.err)
		}
		return Report{}, fmt.Errorf("import: %w", &FileError{err})
	}
	im := &importer{ctx: ctx, db: db, actor: actor, o: o, seen: map[string]int{}, report: o.Resume}
	im.report.Duration = 0
	if im.locations, err = loadLocations(ctx, db, actor.Store.ID); err != nil {
		return Report{}, err
	}
	err = im.run(dec, in)
	im.emit() // the failures read before an error stopped the import
	im.report.Duration = time.Since(start)
	o.Progress.Done(im.report.Read, in.n)
	return im.report, err
}

type importer struct {
	ctx       context.Context
	db        *gorm.DB
	actor     inventory.Actor
	o         ImportOptions
	locations map[string]models.Location
	seen      map[string]int // location and SKU → the line that named them
	failures  []*LineError   // of the batch being read, reported when it is done
	report    Report
	records   int // read so far, resumed ones included
}

func (im *importer) run(dec decoder, in *countingReader) error {
	batch := make([]row, 0, im.o.BatchSize)
	for {
		rec, err := dec.read()
		if errors.Is(err, io.EOF) {
			break
		}
		var le *LineError
		im.records++
		switch {
		case in.err != nil:
			return fmt.Errorf("import: read: %w", in.err)
		case err != nil && !errors.As(err, &le):
			return fmt.Errorf("import: %w", &FileError{err})
		case im.records <= im.o.Resume.Read:
			im.replay(rec, err)
			continue
		case le != nil:
			im.report.Read++
			im.fail(le)
		default:
			im.report.Read++
			if r, ok := im.parse(rec); ok {
				batch = append(batch, r)
			}
		}
		if len(batch) == im.o.BatchSize {
			if err := im.flush(batch); err != nil {
				return err
			}
			batch = batch[:0]
		}
		im.o.Progress.Update(im.report.Read, in.n)
	}
	if len(batch) > 0 || len(im.failures) > 0 || im.o.Checkpoint != nil {
		return im.flush(batch) // the last checkpoint is the complete report
	}
	return nil
}

// replay reads again a row a resumed import applied before: only to know
// the item it named, so that a later row naming it again is refused as
// it was the first time.
func (im *importer) replay(rec record, err error) {
	if err != nil {
		return
	}
	if r, err := parseRecord(rec); err == nil && im.locate(&r) == nil {
		_ = im.once(&r)
	}
}

// parse checks a record and names its location; SKUs are resolved per batch.
func (im *importer) parse(rec record) (row, bool) {
	r, err := parseRecord(rec)
	code := apperr.BadUserInput
	if err == nil {
		code, err = apperr.NotFound, im.locate(&r)
		if _, known := im.locations[r.location]; known {
			code = apperr.BadUserInput // a virtual location
		}
	}
	if err == nil {
		code, err = apperr.Conflict, im.once(&r)
	}
	if err != nil {
		im.fail(&LineError{Line: rec.line, Err: err, Location: r.location, SKU: r.sku, Code: code})
		return r, false
	}
	return r, true
}

func (im *importer) locate(r *row) error {
	loc, ok := im.locations[r.location]
	switch {
	case !ok:
		return fmt.Errorf("no location with code %q", r.location)
	case !loc.Type.IsPhysical():
		return fmt.Errorf("location %q is a virtual %s location; stock is held at STORE and WAREHOUSE locations", r.location, loc.Type)
	}
	r.locationID = loc.ID
	return nil
}

// once refuses a second row for the same item: which of the two should
// win is a guess the file's author should make.
func (im *importer) once(r *row) error {
	key := r.location + "\x00" + r.sku
	if first, dup := im.seen[key]; dup {
		return fmt.Errorf("location %s and SKU %s are on line %d already", r.location, r.sku, first)
	}
	im.seen[key] = r.line
	return nil
}

func (im *importer) fail(e *LineError) {
	im.report.Failed++
	im.failures = append(im.failures, e)
}

// failRow fails a row with an error of the inventory package.
func (im *importer) failRow(r *row, err error) {
	r.failed = true
	le := &LineError{Line: r.line, Err: describe(err), Location: r.location, SKU: r.sku}
	if e, ok := apperr.As(err); ok {
		le.Code = e.Code
	}
	im.fail(le)
}

// describe drops the "item N: " that the inventory package puts before
// its per-line messages, since N is a position in a batch, not a line of
// the file; names the file's column the error is about; and adds the
// error's code.
func describe(err error) error {
	e, ok := apperr.As(err)
	if !ok {
		return err
	}
	msg := e.Message
	if e.Index >= 0 {
		msg = strings.TrimPrefix(msg, fmt.Sprintf("item %d: ", e.Index))
	}
	if col := columnOfField(e.Field); col != "" {
		msg = col + ": " + msg
	}
	return fmt.Errorf("%s (%s)", msg, e.Code)
}

// columnOfField maps an API input field, such as "settings.safetyStock"
// or "items.quantity", to its column, or to "" when it has none.
func columnOfField(field string) string {
	_, name, _ := strings.Cut(field, ".")
	if name == "quantity" {
		return columns[colOnHand].name
	}
	var b strings.Builder
	for _, r := range name {
		if unicode.IsUpper(r) {
			b.WriteByte('_')
		}
		b.WriteRune(unicode.ToLower(r))
	}
	if columnIndex(b.String()) < 0 {
		return ""
	}
	return b.String()
}

// flush applies a batch and reports its failures, in one transaction
// with the checkpoint. The batch's reads and writes go through the
// transaction (im.db is it meanwhile); the inventory package's calls run
// in savepoints of it (database.Tx).
func (im *importer) flush(batch []row) error {
	db := im.db
	defer func() { im.db = db }()
	return database.Tx(im.ctx, db, func(tx *gorm.DB) error {
		im.db = tx
		if err := im.applyMaybeDry(tx, batch); err != nil {
			return err
		}
		im.emit()
		if im.o.Checkpoint == nil {
			return nil
		}
		return im.o.Checkpoint(tx, im.report)
	})
}

// applyMaybeDry applies a batch, and undoes its changes in a dry run.
func (im *importer) applyMaybeDry(tx *gorm.DB, batch []row) error {
	if !im.o.DryRun {
		return im.apply(batch)
	}
	if err := tx.SavePoint("dry_run").Error; err != nil {
		return fmt.Errorf("import: dry run: %w", err)
	}
	if err := im.apply(batch); err != nil {
		return err
	}
	if err := tx.RollbackTo("dry_run").Error; err != nil {
		return fmt.Errorf("import: dry run: %w", err)
	}
	return nil
}

// emit reports the failures collected so far in line order: those found
// while reading and those found applying the batch interleave.
func (im *importer) emit() {
	slices.SortStableFunc(im.failures, func(a, b *LineError) int { return a.Line - b.Line })
	if im.o.OnError != nil {
		for _, e := range im.failures {
			im.o.OnError(e)
		}
	}
	im.failures = im.failures[:0]
}

func (im *importer) apply(batch []row) error {
	if len(batch) == 0 {
		return nil
	}
	if err := im.resolveSKUs(batch); err != nil {
		return err
	}
	if err := im.dropUnchanged(batch); err != nil {
		return err
	}
	changed := make([]bool, len(batch))
	for i := range batch {
		changed[i] = batch[i].changesQuantities() || batch[i].changesSettings()
	}
	if err := im.applySettings(batch); err != nil {
		return err
	}
	if err := im.applyQuantities(batch); err != nil {
		return err
	}
	for i := range batch {
		switch {
		case batch[i].failed:
		case changed[i]:
			im.report.Changed++
		default:
			im.report.Unchanged++
		}
	}
	return nil
}

func (im *importer) resolveSKUs(batch []row) error {
	skus := make([]string, len(batch))
	for i := range batch {
		skus[i] = batch[i].sku
	}
	ids, err := im.variantIDs(skus)
	if err != nil {
		return err
	}
	for i := range batch {
		r := &batch[i]
		if r.variantID = ids[r.sku]; r.variantID == 0 {
			r.failed = true
			im.fail(&LineError{Line: r.line, Err: fmt.Errorf("no variant with SKU %q", r.sku), Location: r.location, SKU: r.sku, Code: apperr.NotFound})
		}
	}
	return nil
}

func (im *importer) variantIDs(skus []string) (map[string]int64, error) {
	rows, err := im.db.WithContext(im.ctx).Raw(`SELECT id, sku FROM variants WHERE store_id = ? AND sku IN ?`, im.actor.Store.ID, skus).Rows()
	if err != nil {
		return nil, fmt.Errorf("import: look up SKUs: %w", err)
	}
	defer rows.Close()
	ids := make(map[string]int64, len(skus))
	for rows.Next() {
		var id int64
		var sku string
		if err := rows.Scan(&id, &sku); err != nil {
			return nil, fmt.Errorf("import: look up SKUs: %w", err)
		}
		ids[sku] = id
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("import: look up SKUs: %w", err)
	}
	return ids, nil
}

// dropUnchanged reads the batch's items and drops the values they have.
// Items that do not exist yet keep every value; changing them creates them.
func (im *importer) dropUnchanged(batch []row) error {
	var variants, locations database.Int64s
	for i := range batch {
		if !batch[i].failed {
			variants, locations = append(variants, batch[i].variantID), append(locations, batch[i].locationID)
		}
	}
	if len(variants) == 0 {
		return nil
	}
	items, err := im.readItems(variants, locations)
	if err != nil {
		return err
	}
	for i := range batch {
		if it, ok := items[ItemKey{batch[i].variantID, batch[i].locationID}]; ok {
			batch[i].dropUnchanged(it)
		}
	}
	return nil
}

type ItemKey struct{ variant, location int64 }

// readItems reads the columns a file can change, scanned by hand: GORM's
// reflection over whole items was a third of a large import's CPU time.
// The store is a column of the keys rather than a constant: with
// statistics taken before a store's bulk load, "store_id = constant"
// looked like one row and PostgreSQL hashed all of the store's items for
// every batch (100 ms for 100,000 items) instead of probing the unique
// index (4 ms).
func (im *importer) readItems(variants, locations database.Int64s) (map[ItemKey]models.InventoryItem, error) {
	stores := database.Repeat(im.actor.Store.ID, len(variants))
	rows, err := im.db.WithContext(im.ctx).Raw(`
		SELECT i.variant_id, i.location_id, i.on_hand, i.qty_backordered, i.safety_stock, i.warning_level,
		       i.backorder_limit, i.backorder_threshold, i.bin_picking_number, i.tracking_mode, i.is_in_stock,
		       i.preorder_enabled, i.preorder_limit, i.preorder_threshold, i.availability_date
		FROM unnest(?::bigint[], ?::bigint[], ?::bigint[]) AS k(s, v, l)
		JOIN inventory_items i ON i.store_id = k.s AND i.variant_id = k.v AND i.location_id = k.l`,
		stores, variants, locations).Rows()
	if err != nil {
		return nil, fmt.Errorf("import: read the items: %w", err)
	}
	defer rows.Close()
	out := make(map[ItemKey]models.InventoryItem, len(variants))
	for rows.Next() {
		var it models.InventoryItem
		err := rows.Scan(&it.VariantID, &it.LocationID, &it.OnHand, &it.QtyBackordered, &it.SafetyStock, &it.WarningLevel,
			&it.BackorderLimit, &it.BackorderThreshold, &it.BinPickingNumber, &it.TrackingMode, &it.IsInStock,
			&it.PreorderEnabled, &it.PreorderLimit, &it.PreorderThreshold, &it.AvailabilityDate)
		if err != nil {
			return nil, fmt.Errorf("import: read the items: %w", err)
		}
		out[ItemKey{it.VariantID, it.LocationID}] = it
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("import: read the items: %w", err)
	}
	return out, nil
}

// applySettings changes settings one location at a time, as
// UpdateSettings takes them. It writes all of a call's lines or none, so
// when a call fails its lines are tried one by one to find the bad rows.
func (im *importer) applySettings(batch []row) error {
	byLocation := map[int64][]int{}
	for i := range batch {
		if !batch[i].failed && batch[i].changesSettings() {
			byLocation[batch[i].locationID] = append(byLocation[batch[i].locationID], i)
		}
	}
	for _, loc := range slices.Sorted(maps.Keys(byLocation)) {
		rows := byLocation[loc]
		err := im.updateSettings(batch, loc, rows)
		if err == nil {
			continue
		}
		if _, ok := apperr.As(err); !ok {
			return fmt.Errorf("import: update settings: %w", err)
		}
		if len(rows) == 1 {
			im.failRow(&batch[rows[0]], err)
			continue
		}
		for _, i := range rows {
			if err := im.updateSettings(batch, loc, []int{i}); err != nil {
				if _, ok := apperr.As(err); !ok {
					return fmt.Errorf("import: update settings: %w", err)
				}
				im.failRow(&batch[i], err)
			}
		}
	}
	return nil
}

func (im *importer) updateSettings(batch []row, location int64, rows []int) error {
	lines := make([]inventory.SettingsLine, len(rows))
	for j, i := range rows {
		lines[j] = batch[i].settings
		lines[j].Variant = inventory.VariantRef{VariantID: batch[i].variantID}
	}
	_, err := inventory.UpdateSettings(im.ctx, im.db, im.actor, inventory.SettingsChange{LocationID: location, Lines: lines})
	return err
}

// applyQuantities sets the batch's quantities in one absolute adjustment
// that applies the lines that pass and reports the others.
func (im *importer) applyQuantities(batch []row) error {
	var lines []inventory.AdjustLine
	var rows []int
	for i := range batch {
		r := &batch[i]
		if r.failed || !r.changesQuantities() {
			continue
		}
		lines = append(lines, inventory.AdjustLine{LocationID: r.locationID, Variant: inventory.VariantRef{VariantID: r.variantID},
			Quantity: r.onHand, QtyBackordered: r.backordered})
		rows = append(rows, i)
	}
	if len(lines) == 0 {
		return nil
	}
	res, err := inventory.Adjust(im.ctx, im.db, im.actor, inventory.Adjustment{Mode: inventory.Absolute, Reason: im.o.Reason,
		Reference: im.o.Reference, Lines: lines, Policy: inventory.RejectFailedRows})
	if err != nil {
		return fmt.Errorf("import: adjust quantities: %w", err)
	}
	for _, l := range res.Lines {
		if l.Error != nil {
			im.failRow(&batch[rows[l.Index]], l.Error)
		}
	}
	return nil
}

// loadLocations returns the store's locations by code, read once per import.
func loadLocations(ctx context.Context, db *gorm.DB, storeID int64) (map[string]models.Location, error) {
	var locs []models.Location
	if err := db.WithContext(ctx).Where("store_id = ?", storeID).Find(&locs).Error; err != nil {
		return nil, fmt.Errorf("import: load locations: %w", err)
	}
	out := make(map[string]models.Location, len(locs))
	for _, l := range locs {
		out[l.Code] = l
	}
	return out, nil
}

// countingReader counts the bytes read, for the progress percentage, and
// keeps the reader's error, which is not the file's fault.
type countingReader struct {
	r   io.Reader
	n   int64
	err error
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	if err != nil && err != io.EOF {
		c.err = err
	}
	return n, err
}
