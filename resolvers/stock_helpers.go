package resolvers

import (
	"context"
	"fmt"

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
	loc, err := optionalIDAt("items.locationId", relay.KindLocation, in.LocationID)
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

// bulkUpdate decodes bulkUpdateInventory's input, naming a bad ID by its
// nested path ("productChanges[1].variantChanges[0].fromLocationId").
func bulkUpdate(in model.BulkUpdateInventoryInput) (inventory.BulkUpdate, error) {
	u := inventory.BulkUpdate{Reason: deref(in.Reason), Reference: deref(in.Reference), IdempotencyKey: deref(in.IdempotencyKey)}
	var err error
	if u.ReturnBalanceFor, err = optionalIDAt("returnBalanceForLocationId", relay.KindLocation, in.ReturnBalanceForLocationID); err != nil {
		return u, err
	}
	for p, pc := range in.ProductChanges {
		at := fmt.Sprintf("productChanges[%d]", p)
		c := inventory.ProductChange{Tracking: deref(pc.TrackingChange)}
		if c.ProductID, err = parseIDAt(at+".productId", relay.KindProduct, pc.ProductID); err != nil {
			return u, withIndex(err, p)
		}
		for v, vc := range pc.VariantChanges {
			line, err := variantMove(fmt.Sprintf("%s.variantChanges[%d]", at, v), vc)
			if err != nil {
				return u, withIndex(err, p)
			}
			c.Moves = append(c.Moves, line)
		}
		u.Products = append(u.Products, c)
	}
	return u, nil
}

// variantMove decodes one variant change of a bulk update: a move of on
// hand, as moveInventory's changes.
func variantMove(at string, in *model.InventoryVariantChangeInput) (inventory.MoveLine, error) {
	ref, err := variantRef(at, in.VariantID, in.Sku, nil)
	if err != nil {
		return inventory.MoveLine{}, err
	}
	from, err := parseIDAt(at+".fromLocationId", relay.KindLocation, in.FromLocationID)
	if err != nil {
		return inventory.MoveLine{}, err
	}
	to, err := parseIDAt(at+".toLocationId", relay.KindLocation, in.ToLocationID)
	if err != nil {
		return inventory.MoveLine{}, err
	}
	return inventory.MoveLine{Variant: ref, FromLocationID: from, ToLocationID: to, Quantity: in.Quantity}, nil
}

// configurationPatch decodes updateInventoryConfiguration's input.
func configurationPatch(in model.UpdateInventoryConfigurationInput) (inventory.ConfigurationPatch, error) {
	p := inventory.ConfigurationPatch{
		BackordersEnabled: in.BackordersEnabled, PreordersEnabled: in.PreordersEnabled, AllowNegativeStock: in.AllowNegativeStock,
		RequireExpectedRevision: in.RequireExpectedRevision,
	}
	if in.DefaultLocationID != nil {
		id, err := parseIDAt("defaultLocationId", relay.KindLocation, *in.DefaultLocationID)
		if err != nil {
			return p, err
		}
		p.DefaultLocationID = &id
	}
	return p, nil
}
