package catalog_test

import (
	"context"
	"encoding/binary"
	"errors"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/jackc/pgx/v5/pgconn"

	"stockgraph/internal/apperr"
	"stockgraph/internal/catalog"
	paging "stockgraph/internal/page"
	"stockgraph/models"
)

// searchAlphabet is what fuzzed searches are spelled with: the characters
// LIKE treats specially, both cases of letters in the fixture, spaces
// that trimming meets, and non-ASCII letters whose case PostgreSQL's
// C.UTF-8 locale and Go fold alike. Mapping bytes onto it keeps the
// fuzzer near the fixture's names instead of in random bytes.
var searchAlphabet = []rune(`%_\ -1WwIiDdGgEeTtZzSs0é É`)

// FuzzListProducts: any search, SKU list, ID list, sort and page size
// lists exactly the products the model says, in the model's order, page
// after page; or is refused as a client mistake (a search over the
// limit, a SKU PostgreSQL cannot store), never with an internal error.
func FuzzListProducts(f *testing.F) {
	fx := newListFixture(f)
	f.Add([]byte("wid"), "", []byte{}, uint8(0), false, uint8(3), false)
	f.Add([]byte{0, 1}, "W-1\nG-1", []byte{}, uint8(1), true, uint8(1), true)
	f.Add([]byte{}, "", []byte{0, 0, 0, 0, 0, 0, 0, 1}, uint8(2), false, uint8(2), false)
	f.Add([]byte("%_"), "a\x00b", []byte{}, uint8(3), true, uint8(5), true)
	f.Add([]byte("  "), "W-1\n\xff", []byte{}, uint8(0), false, uint8(0), true)
	f.Fuzz(func(t *testing.T, search []byte, skus string, ids []byte, sort uint8, desc bool, limit uint8, withSKUs bool) {
		q := catalog.ProductQuery{
			Search:     spell(search),
			Sort:       sortFields[int(sort)%len(sortFields)],
			Descending: desc,
			Window:     paging.Window{Limit: 1 + int(limit)%6},
			IDs:        idList(fx, ids),
		}
		if withSKUs {
			q.SKUs = strings.Split(skus, "\n")
		}
		_, err := catalog.ListProducts(context.Background(), fx.db.DB, fx.store, q)
		if err != nil {
			checkRefusal(t, q, err)
			return
		}
		want := productIDs(sortedProducts(fx.filtered(q), q.Sort, q.Descending))
		if got := fx.walkQuery(t, q, want); !slices.Equal(got, want) {
			t.Errorf("ListProducts(search %q, skus %q, ids %v, %s) = %v, want %v", q.Search, q.SKUs, q.IDs, describeQuery(q), got, want)
		}
	})
}

// spell maps each byte onto searchAlphabet.
func spell(b []byte) string {
	var s strings.Builder
	for _, c := range b {
		s.WriteRune(searchAlphabet[int(c)%len(searchAlphabet)])
	}
	return s.String()
}

// idList reads 8 bytes per ID, nil when there are none. A leading zero
// byte picks one of the fixture's IDs (the fuzzer rarely guesses one),
// else the 8 bytes are the ID itself: zero, negative or huge.
func idList(fx *listFixture, b []byte) []int64 {
	if len(b) < 8 {
		return nil
	}
	var ids []int64
	for ; len(b) >= 8; b = b[8:] {
		if b[0] == 0 {
			ids = append(ids, fx.products[int(b[7])%len(fx.products)].ID)
		} else {
			ids = append(ids, int64(binary.BigEndian.Uint64(b)))
		}
	}
	return ids
}

// checkRefusal accepts only the refusals a client can act on.
func checkRefusal(t *testing.T, q catalog.ProductQuery, err error) {
	t.Helper()
	if utf8.RuneCountInString(q.Search) > catalog.MaxSearchLen {
		if apperr.CodeOf(err) != apperr.BadUserInput {
			t.Errorf("ListProducts(search of %d characters) error = %v, want BAD_USER_INPUT", utf8.RuneCountInString(q.Search), err)
		}
		return
	}
	var pgErr *pgconn.PgError
	unstorable := slices.ContainsFunc(q.SKUs, func(s string) bool { return !utf8.ValidString(s) || strings.ContainsRune(s, 0) })
	if !unstorable || !errors.As(err, &pgErr) || !strings.HasPrefix(pgErr.Code, "22") {
		t.Errorf("ListProducts(search %q, skus %q, ids %v) error = %v, want nil, or a data exception for a SKU PostgreSQL cannot store", q.Search, q.SKUs, q.IDs, err)
	}
}

// filtered is the model of ListProducts' filter: a case-insensitive
// substring of the name, the product's SKU or a variant's SKU, every
// character literal; an exact own (non-empty) or variant SKU; an ID.
func (f *listFixture) filtered(q catalog.ProductQuery) []models.Product {
	s := strings.ToLower(strings.TrimSpace(q.Search))
	var out []models.Product
	for _, p := range f.products {
		hay := append([]string{p.Name, p.SKU}, f.variants[p.ID]...)
		if !slices.ContainsFunc(hay, func(h string) bool { return strings.Contains(strings.ToLower(h), s) }) {
			continue
		}
		if q.IDs != nil && !slices.Contains(q.IDs, p.ID) {
			continue
		}
		if q.SKUs != nil && !(p.SKU != "" && slices.Contains(q.SKUs, p.SKU)) &&
			!slices.ContainsFunc(f.variants[p.ID], func(v string) bool { return slices.Contains(q.SKUs, v) }) {
			continue
		}
		out = append(out, p)
	}
	return out
}
