package orders

import (
	"context"

	"gorm.io/gorm"

	"stockgraph/internal/inventory"
)

// PlaceGroup places the orders as one coalesced group, in their order, as
// a Coalescer does when they queue behind a busy SKU. err is a failure of
// the group's transaction; errs are the orders' refusals.
func PlaceGroup(ctx context.Context, db *gorm.DB, actor inventory.Actor, ins []NewOrder) (ids []int64, replayed []bool, errs []error, err error) {
	group := make([]*queuedOrder, len(ins))
	for i, in := range ins {
		group[i] = &queuedOrder{Ctx: ctx, In: placing{actor, in}}
	}
	outs, _, err := NewCoalescer(db).placeTogether(ctx, group)
	for _, o := range outs {
		ids, replayed, errs = append(ids, o.Value.id), append(replayed, o.Value.replayed), append(errs, o.Err)
	}
	return ids, replayed, errs, err
}
