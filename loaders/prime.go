package loaders

import (
	"context"

	"golang.org/x/sync/errgroup"

	"stockgraph/catalog"
	"stockgraph/inventory"
	"stockgraph/relay"
)

// Batching by time alone splits a batch whenever the goroutines of one
// level of a query do not all reach their loader within its wait, which
// happens under load. A resolver that has just loaded a page of parents
// therefore says what the query selects below them, and the loaders fetch
// it for all the parents at once and prime their caches: the resolvers
// below find their data there, and the number of statements no longer
// depends on timing.

// ProductPageNeeds is what a query selects below a page of products.
type ProductPageNeeds struct {
	Inventory bool // the products' inventory
	// VariantWindows are the pages of variants selected (one per distinct
	// set of arguments, usually one).
	VariantWindows []relay.Window
	// VariantInventory: the inventory of the variants on those pages.
	VariantInventory bool
}

// PrimeProducts fetches what needs asks for below the products with the
// given IDs, one statement per relation, and primes the loaders with it.
func (l *Loaders) PrimeProducts(ctx context.Context, productIDs []int64, needs ProductPageNeeds) error {
	if len(productIDs) == 0 {
		return nil
	}
	var g errgroup.Group
	if needs.Inventory {
		g.Go(func() error {
			items, err := inventory.ItemsByProducts(ctx, l.db, l.storeID, productIDs)
			for _, id := range productIDs {
				l.ItemsByProduct.Prime(ctx, id, items[id])
			}
			return err
		})
	}
	for _, w := range needs.VariantWindows {
		g.Go(func() error {
			pages, err := catalog.VariantPages(ctx, l.db, l.storeID, productIDs, w)
			if err != nil {
				return err
			}
			var variantIDs []int64
			for _, id := range productIDs {
				l.VariantPageByProduct.Prime(ctx, NewPageKey(id, w, ""), pages[id])
				for _, v := range pages[id].Items {
					variantIDs = append(variantIDs, v.ID)
				}
			}
			if !needs.VariantInventory || len(variantIDs) == 0 {
				return nil
			}
			items, err := inventory.ItemsByVariants(ctx, l.db, l.storeID, variantIDs)
			for _, id := range variantIDs {
				l.ItemsByVariant.Prime(ctx, id, items[id])
			}
			return err
		})
	}
	return g.Wait()
}
