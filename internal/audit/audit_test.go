package audit_test

import (
	"context"
	"slices"
	"strings"
	"testing"

	"stockgraph/internal/audit"
	"stockgraph/internal/auth"
	"stockgraph/internal/catalog"
	"stockgraph/internal/database"
	"stockgraph/internal/inventory"
	"stockgraph/internal/page"
	"stockgraph/internal/sourcing"
	"stockgraph/internal/testsupport/testdb"
	"stockgraph/internal/webhooks"
)

func ptr[T any](v T) *T { return &v }

// entries writes the store's audit log, oldest first, as
// "ACTION subject token=N keys", for comparison.
func entries(t *testing.T, db *database.DB, storeID int64) []string {
	t.Helper()
	p, err := audit.List(context.Background(), db.DB, storeID, audit.Query{Window: page.Window{Limit: 250}})
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for i := len(p.Items) - 1; i >= 0; i-- {
		e := p.Items[i]
		who := "cli"
		if e.TokenID != nil {
			who = "token"
		}
		var keys []string
		for k := range e.Changes {
			keys = append(keys, k)
		}
		out = append(out, e.Action+" "+e.Subject+" "+who+" "+strings.Join(sorted(keys), ","))
	}
	return out
}

func sorted(s []string) []string {
	slices.Sort(s)
	return s
}

// TestEveryAuditedWriteIsLogged makes each audited change under a token
// (and one from the command line) and checks the log: one entry each,
// naming the token, with only what changed, and never a secret.
func TestEveryAuditedWriteIsLogged(t *testing.T) {
	db := testdb.MustOpenDB(t)
	base := context.Background()
	store, _, err := catalog.EnsureStore(db.DB, "audited")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := auth.CreateToken(base, db.DB, store.ID, "ops", []auth.Scope{auth.WriteCatalog}); err != nil {
		t.Fatal(err)
	}
	var tokenID int64
	db.Raw(`SELECT id FROM api_tokens WHERE store_id = ?`, store.ID).Scan(&tokenID)
	ctx := database.WithActor(base, tokenID)
	first := len(entries(t, db, store.ID))

	p, err := catalog.CreateProduct(ctx, db.DB, store.ID, catalog.ProductFields{Name: "Tee"}, []catalog.VariantFields{{SKU: "T-1"}, {SKU: "T-2"}})
	must(t, err)
	_, err = catalog.UpdateProduct(ctx, db.DB, store.ID, p.ID, catalog.ProductPatch{Name: ptr("Shirt")})
	must(t, err)
	_, err = catalog.UpdateProduct(ctx, db.DB, store.ID, p.ID, catalog.ProductPatch{Name: ptr("Shirt")}) // changes nothing: no entry
	must(t, err)
	loc, err := catalog.CreateLocation(ctx, db.DB, store.ID, catalog.LocationPatch{Code: ptr("WH"), Name: ptr("Warehouse")})
	must(t, err)
	m, err := sourcing.CreateInventoryModel(ctx, db.DB, store.ID, sourcing.ModelPatch{Name: ptr("Web"), IsDefault: ptr(true)})
	must(t, err)
	lv, err := sourcing.CreateStockLevel(ctx, db.DB, store.ID, m.ID, loc.ID, sourcing.LevelPatch{})
	must(t, err)
	must(t, sourcing.DeleteStockLevel(ctx, db.DB, store.ID, lv.ID))
	_, err = inventory.UpdateConfiguration(ctx, db.DB, store.ID, inventory.ConfigurationPatch{BackordersEnabled: ptr(true)})
	must(t, err)
	w, err := webhooks.Create(ctx, db.DB, webhooks.Guard{AllowPrivate: true}, store.ID, webhooks.Input{URL: "http://127.0.0.1:9/hook", Topics: []string{"store/inventory/stock_changed"}})
	must(t, err)
	must(t, webhooks.Delete(ctx, db.DB, store.ID, w.ID))
	must(t, catalog.DeleteProduct(ctx, db.DB, store.ID, p.ID))
	must(t, auth.RevokeTokenByID(base, db.DB, store.ID, tokenID)) // from the command line

	want := []string{
		"CREATE product token description,id,name,sku,store_id",
		"CREATE variant token id,name,product_id,sku,store_id",
		"CREATE variant token id,name,product_id,sku,store_id",
		"UPDATE product token name",
		"CREATE location token " + locationKeys,
		"UPDATE store token default_location_id", // the store's first physical location is its default (migration 00012)
		"UPDATE inventory_model token is_default",
		"CREATE inventory_model token id,is_default,metadata,name,reference,store_id",
		"CREATE stock_level token id,inventory_model_id,location_id,metadata,on_hold,priority,reference,store_id",
		"DELETE stock_level token id,inventory_model_id,location_id,metadata,on_hold,priority,reference,store_id",
		"UPDATE store token backorders_enabled",
		"CREATE webhook token " + webhookKeys,
		"DELETE webhook token " + webhookKeys,
		"DELETE product token description,id,name,sku,store_id",
		"DELETE variant token id,name,product_id,sku,store_id",
		"DELETE variant token id,name,product_id,sku,store_id",
		"UPDATE api_token cli revoked_at",
	}
	got := entries(t, db, store.ID)[first:]
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("audit log =\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	var secrets int64
	db.Raw(`SELECT count(*) FROM audit_log WHERE changes ? 'secret' OR changes ? 'token_hash'`).Scan(&secrets)
	if secrets != 0 {
		t.Errorf("%d audit entries hold a secret or a token hash, want none", secrets)
	}
}

const (
	locationKeys = "address_line1,address_line2,city,code,country_code,email,enabled,id,name,on_hold,phone,postal_code,priority,region,store_id,type"
	webhookKeys  = "disabled_reason,id,location_ids,product_ids,status,store_id,topics,url,variant_ids"
)

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
