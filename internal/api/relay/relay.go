// Package relay owns the Relay conventions of the API: opaque global IDs,
// opaque cursors and the validation of pagination arguments.
package relay

import (
	"encoding/base64"
	"strconv"
	"strings"

	"stockgraph/internal/apperr"
)

// Kind names an object type in a global ID.
type Kind string

// The kinds of objects that have global IDs.
const (
	KindStore           Kind = "Store"
	KindLocation        Kind = "Location"
	KindProduct         Kind = "Product"
	KindVariant         Kind = "Variant"
	KindInventoryItem   Kind = "InventoryItem"
	KindMovement        Kind = "InventoryMovement"
	KindStockEvent      Kind = "StockEvent"
	KindWebhook         Kind = "Webhook"
	KindWebhookDelivery Kind = "WebhookDelivery"
	KindInventoryModel  Kind = "InventoryModel"
	KindStockLevel      Kind = "StockLevel"
	KindOrder           Kind = "Order"
	KindOrderLine       Kind = "OrderLine"
	KindReservation     Kind = "Reservation"
	KindAPIToken        Kind = "ApiToken"
	KindAuditEntry      Kind = "AuditEntry"
	KindBulkOperation   Kind = "BulkOperation"
)

var kinds = map[Kind]bool{
	KindStore: true, KindLocation: true, KindProduct: true, KindVariant: true, KindInventoryItem: true, KindMovement: true,
	KindStockEvent: true, KindWebhook: true, KindWebhookDelivery: true, KindInventoryModel: true, KindStockLevel: true,
	KindOrder: true, KindOrderLine: true, KindReservation: true, KindAPIToken: true, KindAuditEntry: true,
	KindBulkOperation: true,
}

// ID encodes an object's global ID. Clients treat it as opaque; it is the
// URL-safe base64 of "Kind:entityId".
func ID(kind Kind, id int64) string {
	return base64.RawURLEncoding.EncodeToString([]byte(string(kind) + ":" + strconv.FormatInt(id, 10)))
}

// ParseID decodes any global ID. Only the canonical form that ID writes is
// accepted: "Variant:0001", "Variant:+1", padded or otherwise re-spelled
// base64 all name Variant 1 too, and accepting them would let one object
// have many IDs, which breaks clients that compare or cache IDs.
func ParseID(gid string) (Kind, int64, error) {
	raw, err := base64.RawURLEncoding.DecodeString(gid)
	if err != nil {
		return "", 0, malformed(gid)
	}
	kind, num, ok := strings.Cut(string(raw), ":")
	if !ok || !kinds[Kind(kind)] {
		return "", 0, malformed(gid)
	}
	id, err := strconv.ParseInt(num, 10, 64)
	if err != nil || id <= 0 || ID(Kind(kind), id) != gid {
		return "", 0, malformed(gid)
	}
	return Kind(kind), id, nil
}

// ParseIDOf decodes a global ID that must name an object of kind want.
func ParseIDOf(want Kind, gid string) (int64, error) {
	kind, id, err := ParseID(gid)
	if err != nil {
		return 0, err
	}
	if kind != want {
		return 0, apperr.New(apperr.BadUserInput, "ID %q is a %s ID, not a %s ID", gid, kind, want).WithValue(gid)
	}
	return id, nil
}

// ParseIDsOf decodes a list of global IDs of one kind.
func ParseIDsOf(want Kind, gids []string) ([]int64, error) {
	ids := make([]int64, len(gids))
	for i, gid := range gids {
		id, err := ParseIDOf(want, gid)
		if err != nil {
			return nil, err
		}
		ids[i] = id
	}
	return ids, nil
}

func malformed(gid string) error {
	return apperr.New(apperr.BadUserInput, "ID %q is not a valid global ID", gid).WithValue(gid)
}
