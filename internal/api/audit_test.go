package api_test

import (
	"testing"

	"stockgraph/internal/auth"
)

// TestAuditLogThroughGraphQL: changes made through the API are in the
// store's audit log, naming the token, filtered by object.
func TestAuditLogThroughGraphQL(t *testing.T) {
	e := newEnv(t)
	e.seedStore("audit", 1, 1, 1)
	var storeID int64
	e.db.Raw(`SELECT id FROM stores WHERE handle = 'audit'`).Scan(&storeID)
	token := e.token(storeID, auth.WriteCatalog, auth.WriteInventory)
	var created struct {
		CreateProduct struct{ Product struct{ ID string } }
	}
	e.mustData(token, `mutation { createProduct(input: { name: "Mug", variants: [{ sku: "MUG-1" }] }) { product { id } } }`, nil, &created)
	id := created.CreateProduct.Product.ID
	e.mustData(token, `mutation($id: ID!) { updateProduct(input: { id: $id, name: "Big mug" }) { product { id } } }`, map[string]any{"id": id}, nil)
	e.mustData(token, `mutation { updateInventoryConfiguration(input: { backordersEnabled: true }) { configuration { backordersEnabled } } }`, nil, nil)
	var log struct {
		Store struct {
			AuditLog struct {
				TotalCount int
				Nodes      []struct {
					Action, Subject, SubjectID string
					Actor                      *string
					Changes                    map[string]any
				}
			}
		}
	}
	e.mustData(token, `query($id: ID!) { store { auditLog(filter: { subjectId: $id }) {
		totalCount nodes { action subject subjectId actor changes } } } }`, map[string]any{"id": id}, &log)
	nodes := log.Store.AuditLog.Nodes
	if log.Store.AuditLog.TotalCount != 2 || len(nodes) != 2 {
		t.Fatalf("audit log of the product = %+v, want its update and its creation", log)
	}
	update, create := nodes[0], nodes[1]
	if update.Action != "UPDATE" || update.Subject != "PRODUCT" || update.SubjectID != id || update.Actor == nil || *update.Actor != "test" {
		t.Errorf("newest entry = %+v, want UPDATE of PRODUCT %s by token \"test\"", update, id)
	}
	if names, ok := update.Changes["name"].([]any); !ok || len(names) != 2 || names[0] != "Mug" || names[1] != "Big mug" {
		t.Errorf("update changes = %v, want name [Mug, Big mug]", update.Changes)
	}
	if create.Action != "CREATE" || create.Changes["name"] != "Mug" {
		t.Errorf("oldest entry = %+v, want the CREATE with the name Mug", create)
	}
	var stores struct {
		Store struct {
			AuditLog struct {
				Nodes []struct{ Action, Subject string }
			}
		}
	}
	e.mustData(token, `{ store { auditLog(first: 1, filter: { subjects: [STORE] }) { nodes { action subject } } } }`, nil, &stores)
	if n := stores.Store.AuditLog.Nodes; len(n) != 1 || n[0].Action != "UPDATE" {
		t.Errorf("configuration entries = %+v, want the UPDATE of the switches", n)
	}
	if r := e.do(token, `{ store { auditLog(filter: { subjectId: "T3JkZXI6MQ" }) { totalCount } } }`, nil); r.code() != "BAD_USER_INPUT" {
		t.Errorf("auditLog of an order: code %q, want BAD_USER_INPUT (orders are not audited)", r.code())
	}
}
