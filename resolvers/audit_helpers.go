package resolvers

import (
	"context"
	"slices"
	"strings"

	"github.com/99designs/gqlgen/graphql"

	"stockgraph/graph/model"
	"stockgraph/internal/api/relay"
	"stockgraph/internal/apperr"
	"stockgraph/internal/audit"
	"stockgraph/internal/page"
	"stockgraph/models"
)

// auditKinds gives each audited subject (the log's subject column) the
// kind of its objects' global IDs.
var auditKinds = map[string]relay.Kind{
	"product": relay.KindProduct, "variant": relay.KindVariant, "location": relay.KindLocation,
	"inventory_model": relay.KindInventoryModel, "stock_level": relay.KindStockLevel, "store": relay.KindStore,
	"webhook": relay.KindWebhook, "api_token": relay.KindAPIToken,
}

// auditQuery reads auditLog's arguments.
func auditQuery(ctx context.Context, filter *model.AuditLogFilter, w relayArgs) (audit.Query, error) {
	q := audit.Query{WithTotal: slices.Contains(graphql.CollectAllFields(ctx), "totalCount")}
	var err error
	if q.Window, err = window(w.first, w.after, w.last, w.before); err != nil || filter == nil {
		return q, err
	}
	for _, s := range filter.Subjects {
		q.Subjects = append(q.Subjects, strings.ToLower(string(s)))
	}
	if filter.SubjectID != nil {
		kind, id, err := relay.ParseID(*filter.SubjectID)
		if err != nil {
			return q, err
		}
		subject := ""
		for s, k := range auditKinds {
			if k == kind {
				subject = s
			}
		}
		if subject == "" {
			return q, apperr.New(apperr.BadUserInput, "the audit log follows no %s objects", kind).WithField("filter.subjectId")
		}
		q.Subjects, q.SubjectID = []string{subject}, id
	}
	return q, nil
}

func auditConnection(p page.Page[models.AuditEntry]) *model.AuditEntryConnection {
	es, nodes := edges(p, func(c string, e *models.AuditEntry) *model.AuditEntryEdge {
		return &model.AuditEntryEdge{Cursor: c, Node: e}
	})
	return &model.AuditEntryConnection{Edges: es, Nodes: nodes, PageInfo: pageInfo(p), TotalCount: p.TotalCount}
}
