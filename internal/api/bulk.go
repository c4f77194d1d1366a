package api

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"time"

	"stockgraph/internal/api/relay"
	"stockgraph/internal/apperr"
	"stockgraph/internal/bulk"
	"stockgraph/internal/transfer"
	"stockgraph/resolvers"
)

// bulkConfig is what the resolvers need for bulk operations: the signer
// (Config.BulkSigner, else the secret in the database) and the upload limit.
func bulkConfig(cfg Config) resolvers.BulkConfig {
	signer := cfg.BulkSigner
	if signer.Zero() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		var err error
		if signer, err = bulk.LoadSigner(ctx, cfg.DB.DB, ""); err != nil {
			// Links signed with a key of this process's own work on it only.
			cfg.Logger.Error("bulk operations: load the download URL secret; using one of this process", "err", err)
			signer = bulk.NewSigner([]byte(fmt.Sprint(time.Now().UnixNano())))
		}
	}
	return resolvers.BulkConfig{Signer: signer, MaxUploadBytes: cfg.MaxUploadBytes}
}

// withBaseURL gives the resolvers the server's address as the client
// reached it, for the download URLs: Config.PublicURL when set (behind a
// proxy), else the request's scheme and Host.
func withBaseURL(public string, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		base := strings.TrimSuffix(public, "/")
		if base == "" {
			scheme := "http"
			if r.TLS != nil {
				scheme = "https"
			}
			base = scheme + "://" + r.Host
		}
		next.ServeHTTP(w, r.WithContext(resolvers.WithBaseURL(r.Context(), base)))
	})
}

// downloadHandler serves /bulk/{id}/{result|errors}: a finished
// operation's file, streamed from its chunks, to whoever holds a URL the
// API signed (no token: the signature is the authorization, and it
// expires). A tampered or expired URL is 403, a file that is gone 404.
func downloadHandler(cfg Config, signer bulk.Signer) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			w.Header().Set("Allow", "GET, HEAD")
			downloadError(w, http.StatusMethodNotAllowed, apperr.New(apperr.BadRequest, "download with GET"))
			return
		}
		op, part, err := downloadTarget(r, cfg, signer)
		if err != nil {
			status := http.StatusNotFound
			if e, ok := apperr.As(err); ok && e.Code == apperr.Forbidden {
				status = http.StatusForbidden
			}
			downloadError(w, status, err)
			return
		}
		w.Header().Set("Content-Type", contentType(op.Format))
		w.Header().Set("Content-Disposition", fmt.Sprintf(`attachment; filename="%s"`, fileName(op, part)))
		w.Header().Set("Cache-Control", "private, no-store")
		if r.Method == http.MethodHead {
			return
		}
		extendDeadlines(w)
		if _, err := bulk.CopyFile(r.Context(), cfg.DB.DB, op.ID, part, w); err != nil {
			cfg.Logger.ErrorContext(r.Context(), "bulk download", "operation", op.ID, "part", part, "err", err)
		}
	})
}

// downloadTarget checks a download URL and finds its operation and part.
func downloadTarget(r *http.Request, cfg Config, signer bulk.Signer) (bulk.Operation, bulk.Part, error) {
	rest := strings.TrimPrefix(r.URL.Path, "/bulk/")
	gid, name, _ := strings.Cut(rest, "/")
	part := bulk.Part(name)
	kind, id, err := relay.ParseID(gid)
	if err != nil || kind != relay.KindBulkOperation || (part != bulk.Result && part != bulk.Errors) {
		return bulk.Operation{}, part, apperr.New(apperr.NotFound, "no such download: the path is /bulk/{bulk operation ID}/result or /errors")
	}
	if err := signer.Check(id, part, r.URL.Query(), time.Now()); err != nil {
		return bulk.Operation{}, part, err
	}
	op, err := bulk.ByID(r.Context(), cfg.DB.DB, id)
	if err != nil {
		return op, part, err
	}
	if !op.HasFile(part, time.Now()) {
		return op, part, apperr.New(apperr.NotFound, "bulk operation %s has no %s file (any more)", gid, part)
	}
	return op, part, nil
}

func contentType(f transfer.Format) string {
	if f == transfer.JSONL {
		return "application/jsonl; charset=utf-8"
	}
	return "text/csv; charset=utf-8"
}

func fileName(op bulk.Operation, part bulk.Part) string {
	kind := "inventory-export"
	if op.Kind == bulk.Import {
		kind = "inventory-import"
	}
	suffix := ""
	if part == bulk.Errors {
		suffix = "-errors"
	}
	return fmt.Sprintf("%s-%d%s.%s", kind, op.ID, suffix, op.Format)
}

// downloadError answers in plain text: the client is curl or a browser
// following a link, not a GraphQL client.
func downloadError(w http.ResponseWriter, status int, err error) {
	code := apperr.Internal
	msg := "internal error"
	if e, ok := apperr.As(err); ok {
		code, msg = e.Code, e.Message
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.WriteHeader(status)
	fmt.Fprintf(w, "%s: %s\n", code, msg)
}
