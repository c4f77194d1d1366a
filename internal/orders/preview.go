package orders

import (
	"context"
	"errors"

	"gorm.io/gorm"

	"stockgraph/internal/apperr"
	"stockgraph/internal/database"
	"stockgraph/internal/inventory"
	"stockgraph/models"
)

// PreviewInput is what sourcingPreview takes: an order that is not placed.
type PreviewInput struct {
	InventoryModelID int64
	Lines            []LineInput
	AllowBackorder   bool
	AllowPreorder    bool
	Paid             bool
}

// Preview is where an order's units would ship from now, and why.
type Preview struct {
	Model models.InventoryModel
	Lines []PreviewLine
}

// PreviewLine is one line of a preview: its takes when the model covers
// it, its shortfall when not, and every source considered.
type PreviewLine struct {
	LineInput
	VariantID int64
	SKU       string
	Takes     []Take
	Shortfall *Shortfall
	// Error says why the line names no variant it could find.
	Error   *apperr.Error
	Sources []SourceView
}

// SourceView is a source as the line found it, before its takes.
type SourceView struct {
	Level                 models.StockLevel
	Location              models.Location
	HasItem               bool
	TrackingMode          models.TrackingMode
	AvailableToSell       int
	AvailableForBackorder int
	AvailableForPreorder  int
	Held                  bool
	// Skipped says why the source cannot give anything at all, or "".
	Skipped string
}

// errPreview rolls a preview's transaction back.
var errPreview = errors.New("preview")

// SourcingPreview sources the lines as createOrder would, in a
// transaction it rolls back: it takes the same locks, so it waits for
// orders in flight on the same items and answers what the next order
// would get. Lines for the same variant share its stock, in line order.
func SourcingPreview(ctx context.Context, db *gorm.DB, actor inventory.Actor, in PreviewInput) (Preview, error) {
	if err := validateLines(in.Lines, ""); err != nil {
		return Preview{}, err
	}
	var p Preview
	err := database.Tx(ctx, db, func(tx *gorm.DB) error {
		a, err := startAllocation(ctx, tx, actor, in.InventoryModelID, in.Lines)
		if err != nil {
			return err
		}
		sw := inventory.SwitchesOf(a.sale.Store())
		o := Options{AllowBackorder: in.AllowBackorder, AllowPreorder: in.AllowPreorder, Overdraw: in.Paid && a.sale.Store().AllowNegativeStock}
		p = Preview{Model: a.model, Lines: make([]PreviewLine, len(a.lines))}
		for i, l := range a.lines {
			p.Lines[i] = previewLine(a, i, l, o, sw)
		}
		return errPreview
	})
	if errors.Is(err, errPreview) {
		err = nil
	}
	return p, err
}

func previewLine(a *allocation, i int, l placed, o Options, sw inventory.Switches) PreviewLine {
	pl := PreviewLine{LineInput: l.LineInput, VariantID: l.VariantID, SKU: l.SKU}
	if l.VariantID == 0 {
		if errs := a.sale.Errors(); len(errs) > 0 {
			pl.Error = lineError(errs, i)
		}
		return pl
	}
	for _, s := range a.sources[l.VariantID] {
		pl.Sources = append(pl.Sources, view(s, sw))
	}
	pl.Takes, pl.Shortfall = Plan(a.sources[l.VariantID], l.Quantity, o, sw)
	return pl
}

// lineError is line i's error among a sale's.
func lineError(errs apperr.List, i int) *apperr.Error {
	for _, e := range errs {
		if e.Index == i {
			return e
		}
	}
	return nil
}

// view describes a source as a line finds it.
func view(s *Source, sw inventory.Switches) SourceView {
	v := SourceView{Level: s.Level, Location: s.Location, HasItem: s.HasItem, Held: s.Held()}
	if s.HasItem {
		v.TrackingMode = s.Item.TrackingMode
		v.AvailableToSell, _ = s.stock()
		v.AvailableForBackorder = s.capacity(models.AllocateBackorder, sw)
		v.AvailableForPreorder = s.capacity(models.AllocatePreorder, sw)
	}
	switch {
	case !s.Location.Enabled:
		v.Skipped = "the location is disabled"
	case !s.HasItem:
		v.Skipped = "the variant is not stocked at this location"
	case v.AvailableToSell == 0 && v.AvailableForBackorder == 0 && v.AvailableForPreorder == 0:
		v.Skipped = "nothing to sell, backorder or preorder here"
	}
	return v
}
