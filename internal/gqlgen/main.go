// Command gqlgen generates graph/ and the resolver stubs from schema/ and
// gqlgen.yml, as `go run github.com/99designs/gqlgen generate` does, with
// one change of ours: the objects named in inline resolve their fields on
// the goroutine that marshals them.
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
	"os"

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
	if err := api.Generate(cfg, api.AddPlugin(inlineFields{})); err != nil {
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
