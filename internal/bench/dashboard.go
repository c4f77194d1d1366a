package bench

// DashboardQuery is an admin dashboard's stock page, the read issue 10
// measures: the first 50 products with their totals, and each variant
// with its totals and its level at every location.
const DashboardQuery = `{ store { products(first: 50) { nodes { id name sku
  inventory { aggregated { availableToSell onHand committed qtyBackordered warningLevel availability } }
  variants(first: 10) { nodes { id sku name
    inventory {
      aggregated { availableToSell onHand committed qtyBackordered backorderLimit safetyStock warningLevel availability }
      byLocation { id location { id name } availableToSell onHand committed qtyBackordered qtyPreordered incoming availability updatedAt }
    } } } } } } }`
