package resolvers

import (
	"context"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/handler/transport"

	"gorm.io/gorm"

	"stockgraph/graph/model"
	"stockgraph/internal/api/relay"
	"stockgraph/internal/apperr"
	"stockgraph/internal/auth"
	"stockgraph/internal/bulk"
	"stockgraph/internal/events"
	"stockgraph/internal/transfer"
)

// BulkConfig is what bulk operations need of the server.
type BulkConfig struct {
	// Signer signs resultUrl and errorsUrl.
	Signer bulk.Signer
	// MaxUploadBytes is the largest import file (bulk's default when 0).
	MaxUploadBytes int64
}

type baseURLKey struct{}

// WithBaseURL records the server's address as the client reached it
// ("https://host:port"), for the download URLs.
func WithBaseURL(ctx context.Context, base string) context.Context {
	return context.WithValue(ctx, baseURLKey{}, base)
}

// downloadURL is a part's signed URL, or nil when it has none (yet).
func (r *Resolver) downloadURL(ctx context.Context, op *bulk.Operation, part bulk.Part) *string {
	now := time.Now()
	if !op.HasFile(part, now) {
		return nil
	}
	base, _ := ctx.Value(baseURLKey{}).(string)
	u := base + bulk.Path(relay.ID(relay.KindBulkOperation, op.ID), part) + "?" + r.Bulk.Signer.Sign(op.ID, part, now)
	return &u
}

func fileFormat(f model.BulkFileFormat) transfer.Format {
	if f == model.BulkFileFormatJSONL {
		return transfer.JSONL
	}
	return transfer.CSV
}

func exportFilter(in *model.InventoryExportFilter) (transfer.ExportFilter, error) {
	var f transfer.ExportFilter
	if in == nil {
		return f, nil
	}
	var err error
	f.SKUs = in.Skus
	f.LocationIDs, err = optionalIDs("input.filter.locationIds", relay.KindLocation, in.LocationIds)
	return f, err
}

func importRequest(ctx context.Context, in model.StartInventoryImportInput, maxBytes int64) bulk.ImportRequest {
	req := bulk.ImportRequest{TokenID: actor(ctx).TokenID, File: in.File.File, Format: fileFormat(in.Format),
		ErrorPolicy: bulk.Continue, MaxBytes: maxBytes}
	if in.ErrorPolicy != nil {
		req.ErrorPolicy = *in.ErrorPolicy
	}
	if in.DryRun != nil {
		req.DryRun = *in.DryRun
	}
	if in.IdempotencyKey != nil {
		req.IdempotencyKey = *in.IdempotencyKey
	}
	return req
}

// mayCancel: canceling an import stops writes, so it needs the scope that
// started it; an export, the read scope the field asks for.
func mayCancel(ctx context.Context, db *gorm.DB, id int64) error {
	if auth.FromContext(ctx).Has(auth.WriteInventory) {
		return nil
	}
	op, err := bulk.Get(ctx, db, storeID(ctx), id)
	if err != nil {
		return err
	}
	if op.Kind == bulk.Import {
		return apperr.New(apperr.Forbidden, "canceling an import needs a token with the write_inventory scope")
	}
	return nil
}

// forwardBulk passes an operation's states on until it ends, checking
// the caller again every ReauthorizeEvery as stock subscriptions do: a
// revoked token's subscription ends with the check's error.
func (r *Resolver) forwardBulk(ctx context.Context, ops <-chan bulk.Operation, out chan<- *bulk.Operation) {
	defer close(out)
	every := r.ReauthorizeEvery
	if every <= 0 {
		every = events.DefaultCheckEvery
	}
	tick := time.NewTicker(every)
	defer tick.Stop()
	for {
		select {
		case op, ok := <-ops:
			if !ok {
				return
			}
			select {
			case out <- &op:
			case <-ctx.Done():
				return
			}
		case <-tick.C:
			if r.Reauthorize == nil {
				continue
			}
			if err := r.Reauthorize(ctx); err != nil && ctx.Err() == nil {
				rctx := graphql.WithFreshResponseContext(ctx)
				graphql.AddError(rctx, err)
				for _, presented := range graphql.GetErrors(rctx) {
					transport.AddSubscriptionError(ctx, presented)
				}
				return
			}
		case <-ctx.Done():
			return
		}
	}
}

func nonEmpty(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}
