package loaders

import (
	"context"
	"maps"

	"golang.org/x/sync/errgroup"

	"stockgraph/internal/catalog"
	"stockgraph/internal/inventory"
	"stockgraph/internal/orders"
	"stockgraph/internal/page"
	"stockgraph/models"
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
	VariantWindows []page.Window
	// VariantInventory: the inventory of the variants on those pages.
	VariantInventory bool
}

// PrimeProducts fetches what needs asks for below the products with the
// given IDs, one statement per relation, and primes the loaders with it.
// When both the products' and their variants' inventory are wanted, the
// products' items (which include every variant's) serve both.
func (l *Loaders) PrimeProducts(ctx context.Context, productIDs []int64, needs ProductPageNeeds) error {
	if len(productIDs) == 0 {
		return nil
	}
	var (
		g            errgroup.Group
		productItems map[int64][]models.InventoryItem
		pages        = make([]map[int64]page.Page[models.Variant], len(needs.VariantWindows))
	)
	if needs.Inventory {
		g.Go(func() (err error) {
			productItems, err = inventory.ItemsByProducts(ctx, l.db, l.storeID, productIDs)
			return err
		})
	}
	for i, w := range needs.VariantWindows {
		g.Go(func() (err error) {
			pages[i], err = catalog.VariantPages(ctx, l.db, l.storeID, productIDs, w)
			return err
		})
	}
	if err := g.Wait(); err != nil {
		return err
	}
	var variantIDs []int64
	for _, id := range productIDs {
		if needs.Inventory {
			l.ItemsByProduct.Prime(ctx, id, productItems[id])
		}
		for i, w := range needs.VariantWindows {
			l.VariantPageByProduct.Prime(ctx, NewPageKey(id, w, ""), pages[i][id])
			for _, v := range pages[i][id].Items {
				variantIDs = append(variantIDs, v.ID)
			}
		}
	}
	if !needs.VariantInventory || len(variantIDs) == 0 {
		return nil
	}
	variantItems, err := l.itemsOfVariants(ctx, productItems, variantIDs)
	for _, id := range variantIDs {
		l.ItemsByVariant.Prime(ctx, id, variantItems[id])
	}
	return err
}

// itemsOfVariants groups the products' items by variant when they were
// loaded, and queries the variants' items otherwise.
func (l *Loaders) itemsOfVariants(ctx context.Context, productItems map[int64][]models.InventoryItem, variantIDs []int64) (map[int64][]models.InventoryItem, error) {
	if productItems == nil {
		return inventory.ItemsByVariants(ctx, l.db, l.storeID, variantIDs)
	}
	byVariant := make(map[int64][]models.InventoryItem, len(variantIDs))
	for _, items := range productItems {
		maps.Copy(byVariant, inventory.ByVariant(items))
	}
	return byVariant, nil
}

// OrderPageNeeds says what a query selects below a page of orders.
type OrderPageNeeds struct {
	Lines       bool
	Allocations bool // a line's allocations or its totals
	Variants    bool
}

// PrimeOrders fetches what a page of orders needs, one statement per
// relation, and primes the loaders with it: the lines of all the orders,
// then the allocations and variants of all their lines. Left to the
// fields (or to LoadMany, whose keys may straddle the loader's wait),
// forty lines' keys can split a batch under load.
func (l *Loaders) PrimeOrders(ctx context.Context, orderIDs []int64, needs OrderPageNeeds) error {
	if !needs.Lines || len(orderIDs) == 0 {
		return nil
	}
	lines, err := orders.LinesByOrders(ctx, l.db, l.storeID, orderIDs)
	if err != nil {
		return err
	}
	var lineIDs, variantIDs []int64
	for _, id := range orderIDs {
		l.LinesByOrder.Prime(ctx, id, lines[id])
		for _, line := range lines[id] {
			lineIDs = append(lineIDs, line.ID)
			variantIDs = append(variantIDs, line.VariantID)
		}
	}
	if len(lineIDs) == 0 {
		return nil
	}
	var (
		g        errgroup.Group
		allocs   map[int64][]models.Allocation
		variants map[int64]models.Variant
	)
	if needs.Allocations {
		g.Go(func() (err error) {
			allocs, err = orders.AllocationsByLines(ctx, l.db, l.storeID, lineIDs)
			return err
		})
	}
	if needs.Variants {
		g.Go(func() (err error) {
			variants, err = catalog.VariantsByIDs(ctx, l.db, l.storeID, variantIDs)
			return err
		})
	}
	if err := g.Wait(); err != nil {
		return err
	}
	for _, id := range lineIDs {
		if needs.Allocations {
			l.AllocationsByLine.Prime(ctx, id, allocs[id])
		}
	}
	// A deleted variant is left to its loader, which reports NOT_FOUND:
	// the line's variant is null.
	for id, v := range variants {
		l.VariantByID.Prime(ctx, id, v)
	}
	return nil
}
