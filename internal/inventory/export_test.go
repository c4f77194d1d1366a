package inventory

import (
	"context"

	"gorm.io/gorm"
)

// ApplyGroup applies the adjustments as one coalesced group, in their
// order, as a Coalescer does when they queue behind a busy item. err is a
// failure of the group's transaction; errs are the requests' refusals.
func ApplyGroup(ctx context.Context, db *gorm.DB, actor Actor, as []Adjustment) (res []ChangeResult, errs []error, err error) {
	group := make([]*queued, len(as))
	for i, a := range as {
		group[i] = &queued{Ctx: ctx, In: request{actor, a}}
	}
	outs, _, err := NewCoalescer(db).applyTogether(ctx, group)
	for _, o := range outs {
		res, errs = append(res, o.Value), append(errs, o.Err)
	}
	return res, errs, err
}
