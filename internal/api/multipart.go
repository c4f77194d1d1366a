package api

import (
	"errors"
	"fmt"
	"mime/multipart"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/99designs/gqlgen/graphql"

	"stockgraph/internal/apperr"
)

// The GraphQL multipart request specification
// (github.com/jaydenseric/graphql-multipart-request-spec): a
// multipart/form-data body with an `operations` field (the request's
// JSON), a `map` field (which file goes to which variable) and the files.
// Only startInventoryImport takes a file.

const (
	mediaMultipart = "multipart/form-data"
	// multipartMemory is how much of a multipart body is held in memory;
	// files beyond it are spooled to temporary files (os.TempDir), which
	// are removed when the request ends.
	multipartMemory = 8 << 20
	// multipartOverhead is what a multipart body may hold besides its
	// file: the operations, the map, the parts' headers.
	multipartOverhead = 1 << 20
	// TransferTimeout is how long an upload may take to arrive, and a
	// download to be sent, in place of the server's read and write
	// timeouts, which suit GraphQL requests, not files.
	TransferTimeout = 15 * time.Minute
)

// multipartParams reads a multipart request's operation and puts each
// file at the variables the map names. The body may hold the largest
// upload and its overhead (HTTP 413 with FILE_TOO_LARGE beyond).
func multipartParams(w http.ResponseWriter, r *http.Request, maxUpload int64) (*graphql.RawParams, int, error) {
	if r.ContentLength > maxUpload+multipartOverhead {
		refuseUnread(w, r)
		return nil, http.StatusRequestEntityTooLarge, tooLarge(maxUpload)
	}
	extendDeadlines(w)
	r.Body = http.MaxBytesReader(w, r.Body, maxUpload+multipartOverhead)
	if err := r.ParseMultipartForm(multipartMemory); err != nil {
		var big *http.MaxBytesError
		if errors.As(err, &big) {
			return nil, http.StatusRequestEntityTooLarge, tooLarge(maxUpload)
		}
		return nil, http.StatusBadRequest, badRequest("the multipart body could not be read: %s", err)
	}
	params := &graphql.RawParams{}
	ops := r.MultipartForm.Value["operations"]
	if len(ops) != 1 {
		return nil, http.StatusBadRequest, badRequest(`a multipart request needs one "operations" field with the request's JSON, sent before its files`)
	}
	if err := decodeJSON([]byte(ops[0]), params); err != nil {
		return nil, http.StatusBadRequest, badRequest(`the "operations" field is not a GraphQL request: %s`, err)
	}
	var fileMap map[string][]string
	if m := r.MultipartForm.Value["map"]; len(m) != 1 || decodeJSON([]byte(m[0]), &fileMap) != nil {
		return nil, http.StatusBadRequest, badRequest(`a multipart request needs a "map" field: a JSON object such as {"0": ["variables.file"]}`)
	}
	for key, paths := range fileMap {
		if err := placeFile(r.MultipartForm, params, key, paths); err != nil {
			return nil, http.StatusBadRequest, err
		}
	}
	return checkQuery(params, `the "operations" field has no "query"`)
}

// extendDeadlines gives a file's transfer TransferTimeout. Errors mean
// the server sets no deadlines (a test's recorder): nothing to extend.
func extendDeadlines(w http.ResponseWriter) {
	rc := http.NewResponseController(w)
	_ = rc.SetReadDeadline(time.Now().Add(TransferTimeout))
	_ = rc.SetWriteDeadline(time.Now().Add(TransferTimeout))
}

func tooLarge(maxUpload int64) error {
	return apperr.New(apperr.FileTooLarge, "the request body is larger than the %d bytes of the largest upload and its form fields; split the file", maxUpload).
		With("maxBytes", maxUpload)
}

// placeFile puts the file of the map's key at each of its paths.
func placeFile(form *multipart.Form, params *graphql.RawParams, key string, paths []string) error {
	files := form.File[key]
	if len(files) != 1 {
		return badRequest("the map names file %q, which the request does not hold once", key)
	}
	f, err := files[0].Open()
	if err != nil {
		return badRequest("file %q could not be read: %s", key, err)
	}
	up := graphql.Upload{File: f, Filename: files[0].Filename, Size: files[0].Size, ContentType: files[0].Header.Get("Content-Type")}
	for _, path := range paths {
		if err := setVariable(params, path, up); err != nil {
			return err
		}
	}
	return nil
}

// setVariable sets the value at a path such as "variables.input.file"
// or "variables.files.0", where the operation holds null.
func setVariable(params *graphql.RawParams, path string, v any) error {
	parts := strings.Split(path, ".")
	if len(parts) < 2 || parts[0] != "variables" || params.Variables == nil {
		return badRequest("map path %q must name a variable, such as variables.input.file", path)
	}
	var cur any = params.Variables
	for i, p := range parts[1:] {
		last := i == len(parts)-2
		switch c := cur.(type) {
		case map[string]any:
			if last {
				c[p] = v
				return nil
			}
			cur = c[p]
		case []any:
			n, err := strconv.Atoi(p)
			if err != nil || n < 0 || n >= len(c) {
				return badRequest("map path %q: %q is not an index of the list", path, p)
			}
			if last {
				c[n] = v
				return nil
			}
			cur = c[n]
		default:
			return badRequest("map path %q does not lead to a variable of the operation", path)
		}
	}
	return fmt.Errorf("unreachable")
}
