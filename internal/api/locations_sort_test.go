package api_test

import (
	"slices"
	"testing"
)

// TestLocationsSortBy sorts the store's locations through the API and
// compares with the database's order of the same column.
func TestLocationsSortBy(t *testing.T) {
	e := newEnv(t)
	token := e.seedStore("sorted", 1, 1, 4)
	tests := []struct {
		sortBy string
		sql    string
	}{
		{"", "l.priority DESC, l.id"},
		{"{ field: CODE }", "l.code, l.id"},
		{"{ field: NAME, direction: DESC }", "l.name DESC, l.id DESC"},
		{"{ field: PRIORITY, direction: ASC }", "l.priority, l.id"},
		{"{ field: CREATED_AT, direction: DESC }", "l.created_at DESC, l.id DESC"},
	}
	for _, tt := range tests {
		arg := ""
		if tt.sortBy != "" {
			arg = "(sortBy: " + tt.sortBy + ")"
		}
		var out struct {
			Store struct {
				Locations struct{ Nodes []struct{ EntityID int64 } }
			}
		}
		e.mustData(token, `{ store { locations`+arg+` { nodes { entityId } } } }`, nil, &out)
		var got, want []int64
		for _, n := range out.Store.Locations.Nodes {
			got = append(got, n.EntityID)
		}
		if err := e.db.Raw(`SELECT l.id FROM locations l JOIN stores s ON s.id = l.store_id WHERE s.handle = 'sorted' ORDER BY ` + tt.sql).Scan(&want).Error; err != nil {
			t.Fatal(err)
		}
		if len(want) < 5 || !slices.Equal(got, want) {
			t.Errorf("locations%s = %v, want %v (ORDER BY %s)", arg, got, want, tt.sql)
		}
	}
}
