package resolvers

import (
	"context"

	"gorm.io/gorm"

	"stockgraph/graph/model"
	"stockgraph/internal/api/relay"
	"stockgraph/internal/webhooks"
)

// webhookInput decodes createWebhook's input.
func webhookInput(in model.CreateWebhookInput) (webhooks.Input, error) {
	f, err := webhookFilter(in.Filter)
	return webhooks.Input{URL: in.URL, Topics: in.Topics, Filter: f, Secret: in.Secret}, err
}

// webhookPatch decodes updateWebhook's input.
func webhookPatch(in model.UpdateWebhookInput) (int64, webhooks.Patch, error) {
	id, err := parseIDAt("input.id", relay.KindWebhook, in.ID)
	if err != nil {
		return 0, webhooks.Patch{}, err
	}
	f, err := webhookFilter(in.Filter)
	return id, webhooks.Patch{URL: in.URL, Topics: in.Topics, Filter: f, Secret: in.Secret}, err
}

// webhookFilter decodes a filter's global IDs; nil lists stay nil (all).
func webhookFilter(in *model.WebhookFilterInput) (*webhooks.Filter, error) {
	if in == nil {
		return nil, nil
	}
	var f webhooks.Filter
	var err error
	for _, l := range []struct {
		field string
		kind  relay.Kind
		gids  []string
		dst   *[]int64
	}{
		{"input.filter.variantIds", relay.KindVariant, in.VariantIds, &f.VariantIDs},
		{"input.filter.productIds", relay.KindProduct, in.ProductIds, &f.ProductIDs},
		{"input.filter.locationIds", relay.KindLocation, in.LocationIds, &f.LocationIDs},
	} {
		if l.gids == nil {
			continue
		}
		if *l.dst, err = parseIDsAt(l.field, l.kind, l.gids); err != nil {
			return nil, err
		}
	}
	return &f, nil
}

// globalIDs encodes a list of IDs; nil stays nil.
func globalIDs(kind relay.Kind, ids []int64) []string {
	if ids == nil {
		return nil
	}
	out := make([]string, len(ids))
	for i, id := range ids {
		out[i] = relay.ID(kind, id)
	}
	return out
}

// deliveryConnection pages a webhook's deliveries.
func deliveryConnection(ctx context.Context, db *gorm.DB, webhookID int64, status *webhooks.DeliveryStatus, first *int, after *string) (*model.WebhookDeliveryConnection, error) {
	w, err := window(first, after, nil, nil)
	if err != nil {
		return nil, err
	}
	p, err := webhooks.Deliveries(ctx, db, storeID(ctx), webhookID, status, w)
	if err != nil {
		return nil, err
	}
	es, nodes := edges(p, func(c string, d *webhooks.Delivery) *model.WebhookDeliveryEdge {
		return &model.WebhookDeliveryEdge{Cursor: c, Node: d}
	})
	return &model.WebhookDeliveryConnection{Edges: es, Nodes: nodes, PageInfo: pageInfo(p)}, nil
}
