package resolvers

import (
	"context"

	"stockgraph/graph/model"
	"stockgraph/internal/api/relay"
	"stockgraph/internal/inventory"
)

// adjust runs an absolute or relative adjustment.
func (r *mutationResolver) adjust(ctx context.Context, mode inventory.AdjustMode, input model.AdjustInventoryInput) (*inventory.ChangeResult, error) {
	a := inventory.Adjustment{
		Mode: mode, Reason: input.Reason, Reference: deref(input.Reference), IdempotencyKey: deref(input.IdempotencyKey),
		Policy: deref(input.ErrorPolicy), DryRun: deref(input.DryRun),
	}
	for i, it := range input.Items {
		line, err := adjustLine(it)
		if err != nil {
			return nil, withIndex(err, i)
		}
		a.Lines = append(a.Lines, line)
	}
	res, err := r.adjuster().Adjust(ctx, actor(ctx), a)
	wrote(ctx)
	if err != nil {
		return nil, err
	}
	return &res, nil
}

func adjustLine(in *model.AdjustInventoryItemInput) (inventory.AdjustLine, error) {
	ref, err := variantRef("items", in.VariantID, in.Sku, in.ProductID)
	if err != nil {
		return inventory.AdjustLine{}, err
	}
	loc, err := parseIDAt("items.locationId", relay.KindLocation, in.LocationID)
	if err != nil {
		return inventory.AdjustLine{}, err
	}
	return inventory.AdjustLine{LocationID: loc, Variant: ref, Quantity: in.Quantity, QtyBackordered: in.QtyBackordered,
		ExpectedRevision: int64p(in.ExpectedRevision)}, nil
}

func moveLine(in *model.InventoryMoveInput) (inventory.MoveLine, error) {
	ref, err := variantRef("changes", in.VariantID, in.Sku, nil)
	if err != nil {
		return inventory.MoveLine{}, err
	}
	from, err := parseIDAt("changes.fromLocationId", relay.KindLocation, in.FromLocationID)
	if err != nil {
		return inventory.MoveLine{}, err
	}
	to, err := parseIDAt("changes.toLocationId", relay.KindLocation, in.ToLocationID)
	if err != nil {
		return inventory.MoveLine{}, err
	}
	return inventory.MoveLine{Variant: ref, FromLocationID: from, ToLocationID: to, FromState: deref(in.FromState),
		ToState: deref(in.ToState), Quantity: in.Quantity, ExpectedAt: in.ExpectedAt}, nil
}

// itemSettings reads the settings of a settings item, which carries them
// beside the variant's name as BigCommerce does.
func itemSettings(in *model.InventorySettingsItemInput) *model.InventorySettingsInput {
	return &model.InventorySettingsInput{
		SafetyStock: in.SafetyStock, IsInStock: in.IsInStock, WarningLevel: in.WarningLevel, BinPickingNumber: in.BinPickingNumber,
		BackorderLimit: in.BackorderLimit, BackorderThreshold: in.BackorderThreshold, TrackingMode: in.TrackingMode,
		Preorder: in.Preorder, AvailabilityDate: in.AvailabilityDate,
	}
}
