package api_test

import (
	"cmp"
	"fmt"
	"slices"
	"testing"
	"time"

	"stockgraph/internal/auth"
)

type levelNode struct {
	ID             string    `json:"id"`
	Priority       int       `json:"priority"`
	OnHold         bool      `json:"onHold"`
	Reference      string    `json:"reference"`
	CreatedAt      time.Time `json:"createdAt"`
	UpdatedAt      time.Time `json:"updatedAt"`
	Location       struct{ ID, Code string }
	InventoryModel struct{ ID, Name string }
}

type levelConn struct {
	Nodes      []levelNode `json:"nodes"`
	TotalCount int         `json:"totalCount"`
	PageCount  int         `json:"pageCount"`
	PageInfo   struct {
		HasNextPage, HasPreviousPage bool
		StartCursor, EndCursor       *string
	} `json:"pageInfo"`
}

const levelFields = `nodes { id priority onHold reference createdAt updatedAt location { id code } inventoryModel { id name } }
	totalCount pageCount pageInfo { hasNextPage hasPreviousPage startCursor endCursor }`

const listLevels = `query($filter: StockLevelFilter, $sort: StockLevelSort, $first: Int, $after: String, $last: Int, $before: String, $page: Int, $pageSize: Int) {
	store { stockLevels(filter: $filter, sort: $sort, first: $first, after: $after, last: $last, before: $before, page: $page, pageSize: $pageSize) { ` + levelFields + ` } } }`

func (e *env) levels(token string, vars map[string]any) levelConn {
	e.t.Helper()
	var out struct {
		Store struct{ StockLevels levelConn }
	}
	e.mustData(token, listLevels, vars, &out)
	return out.Store.StockLevels
}

func levelIDs(ls []levelNode) []string {
	out := make([]string, len(ls))
	for i, l := range ls {
		out[i] = l.ID
	}
	return out
}

// sourcingFixture seeds a store with four warehouses, a second model and
// one stock level per warehouse in each model.
func sourcingFixture(t *testing.T) (e *env, token, defaultModel, second string, warehouses []string, supplier string) {
	e = newEnv(t)
	token = e.seedStore("shop", 1, 1, 4)
	var data struct {
		Store struct {
			Locations       struct{ Nodes []struct{ ID, Type string } }
			InventoryModels struct {
				Nodes                 []struct{ ID, Name string }
				TotalCount, PageCount int
			}
		}
	}
	e.mustData(token, `{ store { locations { nodes { id type } } inventoryModels { nodes { id name } totalCount pageCount } } }`, nil, &data)
	if m := data.Store.InventoryModels; len(m.Nodes) != 1 || m.Nodes[0].Name != "Default" || m.TotalCount != 1 || m.PageCount != 1 {
		t.Fatalf("inventoryModels of a seeded store = %+v, want the one Default, totalCount 1, pageCount 1", m)
	}
	defaultModel = data.Store.InventoryModels.Nodes[0].ID
	for _, l := range data.Store.Locations.Nodes {
		switch l.Type {
		case "WAREHOUSE", "STORE":
			warehouses = append(warehouses, l.ID)
		case "SUPPLIER":
			supplier = l.ID
		}
	}
	var created struct {
		CreateInventoryModel struct{ InventoryModel struct{ ID string } }
	}
	e.mustData(token, `mutation { createInventoryModel(input: { name: "EU", reference: "eu", metadata: { region: "eu" } }) { inventoryModel { id } } }`, nil, &created)
	second = created.CreateInventoryModel.InventoryModel.ID
	for i, loc := range warehouses {
		for j, m := range []string{defaultModel, second} {
			e.mustData(token, `mutation($in: CreateStockLevelInput!) { createStockLevel(input: $in) { stockLevel { id } } }`, map[string]any{"in": map[string]any{
				"inventoryModelId": m, "locationId": loc, "priority": i % 3, "onHold": (i+j)%2 == 0, "reference": fmt.Sprintf("r%d", (i+j)%3),
			}}, nil)
		}
	}
	return e, token, defaultModel, second, warehouses, supplier
}

func TestStockLevelErrors(t *testing.T) {
	e, token, defaultModel, _, warehouses, supplier := sourcingFixture(t)
	reader := e.token(e.entityID(e.storeGID(token)), auth.ReadInventory)
	create := `mutation($in: CreateStockLevelInput!) { createStockLevel(input: $in) { stockLevel { id } } }`
	tests := []struct {
		name  string
		token string
		query string
		vars  map[string]any
		code  string
	}{
		{"location twice in a model", token, create, map[string]any{"in": map[string]any{"inventoryModelId": defaultModel, "locationId": warehouses[0], "priority": 1}}, "CONFLICT"},
		{"virtual location", token, create, map[string]any{"in": map[string]any{"inventoryModelId": defaultModel, "locationId": supplier, "priority": 1}}, "BAD_USER_INPUT"},
		{"no such model", token, create, map[string]any{"in": map[string]any{"inventoryModelId": "SW52ZW50b3J5TW9kZWw6OTk5OTk5", "locationId": warehouses[0], "priority": 1}}, "NOT_FOUND"},
		{"a location ID as model", token, create, map[string]any{"in": map[string]any{"inventoryModelId": warehouses[0], "locationId": warehouses[0], "priority": 1}}, "BAD_USER_INPUT"},
		{"delete the default model", token, `mutation($id: ID!) { deleteInventoryModel(input: { id: $id }) { deletedInventoryModelId } }`, map[string]any{"id": defaultModel}, "CONFLICT"},
		{"unset the default", token, `mutation($id: ID!) { updateInventoryModel(input: { id: $id, isDefault: false }) { inventoryModel { id } } }`, map[string]any{"id": defaultModel}, "BAD_USER_INPUT"},
		{"taken model name", token, `mutation { createInventoryModel(input: { name: "EU" }) { inventoryModel { id } } }`, nil, "CONFLICT"},
		{"write without WRITE_CATALOG", reader, `mutation { createInventoryModel(input: { name: "X" }) { inventoryModel { id } } }`, nil, "FORBIDDEN"},
		{"page and first", token, listLevels, map[string]any{"page": 1, "first": 2}, "BAD_USER_INPUT"},
		{"page 0", token, listLevels, map[string]any{"page": 0}, "BAD_USER_INPUT"},
		{"pageSize 251", token, listLevels, map[string]any{"pageSize": 251}, "BAD_USER_INPUT"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := e.do(tt.token, tt.query, tt.vars).code(); got != tt.code {
				t.Errorf("%s: code = %q, want %q", tt.name, got, tt.code)
			}
		})
	}
}

func (e *env) storeGID(token string) string {
	e.t.Helper()
	var out struct{ Store struct{ ID string } }
	e.mustData(token, `{ store { id } }`, nil, &out)
	return out.Store.ID
}

func TestStockLevelSortsAndPaging(t *testing.T) {
	e, token, _, _, _, _ := sourcingFixture(t)
	all := e.levels(token, nil).Nodes
	if len(all) != 8 {
		t.Fatalf("stockLevels = %d, want 8", len(all))
	}
	keys := map[string]func(a, b levelNode) int{
		"ID":         func(a, b levelNode) int { return 0 },
		"PRIORITY":   func(a, b levelNode) int { return cmp.Compare(a.Priority, b.Priority) },
		"ON_HOLD":    func(a, b levelNode) int { return cmp.Compare(fmt.Sprint(a.OnHold), fmt.Sprint(b.OnHold)) },
		"REFERENCE":  func(a, b levelNode) int { return cmp.Compare(a.Reference, b.Reference) },
		"CREATED_AT": func(a, b levelNode) int { return a.CreatedAt.Compare(b.CreatedAt) },
		"UPDATED_AT": func(a, b levelNode) int { return a.UpdatedAt.Compare(b.UpdatedAt) },
	}
	for field, key := range keys {
		for _, dir := range []string{"ASC", "DESC"} {
			t.Run(field+" "+dir, func(t *testing.T) {
				want := slices.Clone(all)
				slices.SortFunc(want, func(a, b levelNode) int {
					c := cmp.Or(key(a, b), cmp.Compare(e.entityID(a.ID), e.entityID(b.ID)))
					if dir == "DESC" {
						return -c
					}
					return c
				})
				sort := map[string]any{"field": field, "direction": dir}
				var fwd []levelNode
				vars := map[string]any{"sort": sort, "first": 3}
				for i := 0; i < 5; i++ {
					c := e.levels(token, vars)
					fwd = append(fwd, c.Nodes...)
					if !c.PageInfo.HasNextPage {
						break
					}
					vars["after"] = *c.PageInfo.EndCursor
				}
				if !slices.Equal(levelIDs(fwd), levelIDs(want)) {
					t.Errorf("stockLevels(sort %s %s) forward = %v, want %v", field, dir, levelIDs(fwd), levelIDs(want))
				}
				var back []levelNode
				vars = map[string]any{"sort": sort, "last": 3}
				for i := 0; i < 5; i++ {
					c := e.levels(token, vars)
					back = append(slices.Clone(c.Nodes), back...)
					if !c.PageInfo.HasPreviousPage {
						break
					}
					vars["before"] = *c.PageInfo.StartCursor
				}
				if !slices.Equal(levelIDs(back), levelIDs(want)) {
					t.Errorf("stockLevels(sort %s %s) backward = %v, want %v", field, dir, levelIDs(back), levelIDs(want))
				}
				c := e.levels(token, map[string]any{"sort": sort, "page": 2, "pageSize": 3})
				if !slices.Equal(levelIDs(c.Nodes), levelIDs(want[3:6])) || c.TotalCount != 8 || c.PageCount != 3 {
					t.Errorf("stockLevels(sort %s %s, page 2 of 3) = %v total %d pageCount %d, want %v total 8 pageCount 3",
						field, dir, levelIDs(c.Nodes), c.TotalCount, c.PageCount, levelIDs(want[3:6]))
				}
			})
		}
	}
}

func TestStockLevelFilters(t *testing.T) {
	e, token, defaultModel, second, warehouses, _ := sourcingFixture(t)
	all := e.levels(token, nil).Nodes
	keep := func(pred func(levelNode) bool) []string {
		var out []string
		for _, l := range all {
			if pred(l) {
				out = append(out, l.ID)
			}
		}
		return out
	}
	future := time.Now().Add(time.Hour).UTC().Format(time.RFC3339)
	tests := []struct {
		name   string
		filter map[string]any
		want   []string
	}{
		{"ids", map[string]any{"ids": []string{all[2].ID, all[5].ID}}, []string{all[2].ID, all[5].ID}},
		{"onHold", map[string]any{"onHold": true}, keep(func(l levelNode) bool { return l.OnHold })},
		{"references", map[string]any{"references": []string{"r1"}}, keep(func(l levelNode) bool { return l.Reference == "r1" })},
		{"location", map[string]any{"locationIds": []string{warehouses[1]}}, keep(func(l levelNode) bool { return l.Location.ID == warehouses[1] })},
		{"inventory model", map[string]any{"inventoryModelIds": []string{second}}, keep(func(l levelNode) bool { return l.InventoryModel.ID == second })},
		{"created before the future", map[string]any{"createdAt": map[string]any{"to": future}}, levelIDs(all)},
		{"updated after the future", map[string]any{"updatedAt": map[string]any{"from": future}}, []string{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := e.levels(token, map[string]any{"filter": tt.filter})
			if got := levelIDs(c.Nodes); !slices.Equal(got, tt.want) || c.TotalCount != len(tt.want) {
				t.Errorf("stockLevels(filter %v) = %v total %d, want %v", tt.filter, got, c.TotalCount, tt.want)
			}
		})
	}

	// The model's own stockLevels ship order: highest priority first.
	var m struct {
		Node struct{ StockLevels levelConn } `json:"node"`
	}
	e.mustData(token, `query($id: ID!) { node(id: $id) { ... on InventoryModel { stockLevels { `+levelFields+` } } } }`, map[string]any{"id": defaultModel}, &m)
	got := m.Node.StockLevels.Nodes
	if len(got) != 4 || !slices.IsSortedFunc(got, func(a, b levelNode) int { return -cmp.Compare(a.Priority, b.Priority) }) {
		t.Errorf("InventoryModel.stockLevels priorities = %+v, want 4 by priority descending", got)
	}
}

func TestStockLevelCRUD(t *testing.T) {
	e, token, defaultModel, second, _, _ := sourcingFixture(t)
	lvl := e.levels(token, map[string]any{"first": 1}).Nodes[0]
	var upd struct {
		UpdateStockLevel struct{ StockLevel levelNode }
	}
	e.mustData(token, `mutation($id: ID!) { updateStockLevel(input: { id: $id, priority: 42, onHold: true, reference: "new" }) { stockLevel { id priority onHold reference } } }`,
		map[string]any{"id": lvl.ID}, &upd)
	if s := upd.UpdateStockLevel.StockLevel; s.Priority != 42 || !s.OnHold || s.Reference != "new" {
		t.Errorf("updateStockLevel = %+v, want priority 42, on hold, reference new", s)
	}
	var node struct{ Node levelNode }
	e.mustData(token, `query($id: ID!) { node(id: $id) { ... on StockLevel { id priority reference } } }`, map[string]any{"id": lvl.ID}, &node)
	if node.Node.Priority != 42 {
		t.Errorf("node(stock level).priority = %d, want 42", node.Node.Priority)
	}
	del := `mutation($id: ID!) { deleteStockLevel(input: { id: $id }) { deletedStockLevelId } }`
	e.mustData(token, del, map[string]any{"id": lvl.ID}, nil)
	if code := e.do(token, del, map[string]any{"id": lvl.ID}).code(); code != "NOT_FOUND" {
		t.Errorf("deleteStockLevel twice: code = %q, want NOT_FOUND", code)
	}

	// Moving the default flag, then deleting the old default.
	var mv struct {
		UpdateInventoryModel struct{ InventoryModel struct{ IsDefault bool } }
	}
	e.mustData(token, `mutation($id: ID!) { updateInventoryModel(input: { id: $id, isDefault: true, name: "Europe" }) { inventoryModel { isDefault } } }`, map[string]any{"id": second}, &mv)
	if !mv.UpdateInventoryModel.InventoryModel.IsDefault {
		t.Errorf("updateInventoryModel(isDefault: true).isDefault = false, want true")
	}
	var models struct {
		Store struct {
			InventoryModels struct{ Nodes []struct{ ID, Name string } }
		}
	}
	e.mustData(token, `{ store { inventoryModels(filter: { isDefault: true }) { nodes { id name } } } }`, nil, &models)
	if n := models.Store.InventoryModels.Nodes; len(n) != 1 || n[0].ID != second || n[0].Name != "Europe" {
		t.Errorf("default models = %+v, want only %s named Europe", n, second)
	}
	e.mustData(token, `mutation($id: ID!) { deleteInventoryModel(input: { id: $id }) { deletedInventoryModelId } }`, map[string]any{"id": defaultModel}, nil)
	if c := e.levels(token, nil); c.TotalCount != 4 {
		t.Errorf("stock levels after deleting a model with 3 left = %d, want 4 (the other model's)", c.TotalCount)
	}
}
