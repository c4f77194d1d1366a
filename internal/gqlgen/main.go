// Command gqlgen generates graph/ and the resolver stubs from schema/ and
// gqlgen.yml, as `go run github.com/99designs/gqlgen generate` does, with
// two changes of ours: the objects named in inline resolve their fields on
// the goroutine that marshals them, and lists of objects marshal their
// elements in order, without a goroutine each, when the query selects
// only plain fields on them (package inline says why and how).
//
// gqlgen runs every resolver field of an object in a goroutine of its own
// (list elements get one each as well). For a field that only computes
// from its object, such as an item's availableToSell or any global ID,
// starting the goroutine costs far more than the field: on the dashboard
// read (2,500 inventory items) those goroutines, their stacks and the
// garbage they leave were most of the server's CPU. gqlgen already turns
// the goroutines off for Mutation, to run its fields in order; this
// command asks the same of the objects below, through gqlgen's plugin
// hook that sees the generation's data before the code is written.
//
// An object may be listed when its resolvers compute from the object or
// read through the operation's loaders: its fields then run one after
// another, while the list elements around it still run concurrently (a
// goroutine each), so loaders still batch across the elements. A resolver
// that queries the database itself must not be on a listed object.
package main

import (
	"fmt"
	"go/format"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/99designs/gqlgen/api"
	"github.com/99designs/gqlgen/codegen"
	"github.com/99designs/gqlgen/codegen/config"
)

// inline are the objects whose fields resolve without goroutines.
var inline = map[string]bool{
	"Product":             true,
	"Variant":             true,
	"InventoryItem":       true,
	"Location":            true,
	"AggregatedInventory": true,
	"VariantInventory":    true,
	"ProductInventory":    true,
	"InventorySettings":   true,
}

func main() {
	cfg, err := config.LoadConfigFromDefaultLocations()
	if err != nil {
		fmt.Fprintln(os.Stderr, "gqlgen:", err)
		os.Exit(2)
	}
	plain := plainFields{}
	if err := api.Generate(cfg, api.AddPlugin(inlineFields{}), api.AddPlugin(plain)); err != nil {
		fmt.Fprintln(os.Stderr, "gqlgen:", err)
		os.Exit(1)
	}
	if err := plain.write(cfg.Exec.Filename); err != nil {
		fmt.Fprintln(os.Stderr, "gqlgen:", err)
		os.Exit(1)
	}
}

// inlineFields is the plugin that turns the goroutines off.
type inlineFields struct{}

func (inlineFields) Name() string { return "inlinefields" }

// GenerateCode runs before gqlgen writes its code, so the objects it
// marks are generated without goroutines.
func (inlineFields) GenerateCode(data *codegen.Data) error {
	found := 0
	for _, o := range data.Objects {
		if inline[o.Name] {
			o.DisableConcurrency = true
			found++
		}
	}
	if found != len(inline) {
		return fmt.Errorf("inline names %d objects, the schema has %d of them", len(inline), found)
	}
	return nil
}

// computed are the resolver fields that compute from their object or read
// what the operation has loaded whole (the store's locations), so that
// elements selecting them need not wait for one batch together.
var computed = map[string][]string{
	"InventoryItem": {"id", "availableToSell", "availableForBackorder", "availableForPreorder",
		"availableToPromise", "availability", "availabilityCode", "settings", "location"},
	"InventorySettings": {"preorder"},
	"Location":          {"id", "address"},
}

// plainFields is the plugin that finds, for every object, the fields that
// never wait for a batch (package inline's Plain); write then makes the
// generated list marshallers consult them.
type plainFields map[string][]string

func (plainFields) Name() string { return "plainfields" }

func (p plainFields) GenerateCode(data *codegen.Data) error {
	for _, o := range data.Objects {
		for _, f := range o.Fields {
			if (!f.IsResolver && !f.MethodHasContext) || slices.Contains(computed[o.Name], f.Name) {
				p[o.Name] = append(p[o.Name], f.Name)
			}
		}
	}
	for typ, fields := range computed {
		for _, f := range fields {
			if !slices.Contains(p[typ], f) {
				return fmt.Errorf("computed names %s.%s, which the schema does not have", typ, f)
			}
		}
	}
	return nil
}

// concurrentList is how gqlgen's generated code marshals a list of
// objects; inlineList is what write puts in its place.
const (
	concurrentList = "graphql.MarshalSliceConcurrently(ctx, len(v), 0, false, func("
	inlineList     = "inline.MarshalList(ctx, plainFields, sel, len(v), func("
)

// write rewrites the generated executor's list marshallers to call
// inline.MarshalList, and writes the plain fields beside it.
func (p plainFields) write(execFile string) error {
	src, err := os.ReadFile(execFile)
	if err != nil {
		return err
	}
	code := string(src)
	if !strings.Contains(code, concurrentList) {
		return fmt.Errorf("%s has no %q: gqlgen's list marshalling changed, see internal/gqlgen", execFile, concurrentList)
	}
	code = strings.ReplaceAll(code, concurrentList, inlineList)
	code = strings.Replace(code, "import (\n", "import (\n\t\"stockgraph/internal/gqlgen/inline\"\n", 1)
	formatted, err := format.Source([]byte(code)) // sorts the import in
	if err != nil {
		return err
	}
	if err := os.WriteFile(execFile, formatted, 0o644); err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(filepath.Dir(execFile), "plain_gen.go"), p.source(), 0o644)
}

// source is the Go file that declares the plain fields.
func (p plainFields) source() []byte {
	var b strings.Builder
	b.WriteString("// Code generated by internal/gqlgen. DO NOT EDIT.\n\npackage graph\n\n")
	b.WriteString("import \"stockgraph/internal/gqlgen/inline\"\n\n")
	b.WriteString("// plainFields are the fields that never wait for a loader's batch.\n")
	b.WriteString("var plainFields = inline.Plain{\n")
	for _, typ := range slices.Sorted(maps.Keys(p)) {
		fmt.Fprintf(&b, "\t%q: {", typ)
		for i, f := range p[typ] {
			if i > 0 {
				b.WriteString(", ")
			}
			fmt.Fprintf(&b, "%q: true", f)
		}
		b.WriteString("},\n")
	}
	b.WriteString("}\n")
	formatted, err := format.Source([]byte(b.String()))
	if err != nil {
		panic(err) // the source above is Go
	}
	return formatted
}
