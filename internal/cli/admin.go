package cli

import (
	"fmt"
	"os"
	"time"

	"github.com/spf13/cobra"

	"stockgraph/dbmigrate"
	"stockgraph/internal/seed"
)

// Migrate is `stockgraph migrate`.
func Migrate() *cobra.Command {
	return &cobra.Command{
		Use:   "migrate",
		Short: "Apply the database migrations",
		Args:  noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			db, err := openDB(cmd.Context(), false)
			if err != nil {
				return err
			}
			defer db.Close()
			sqlDB, err := db.DB.DB()
			if err != nil {
				return err
			}
			version, err := dbmigrate.Up(cmd.Context(), sqlDB)
			if err != nil {
				return err
			}
			fmt.Fprintf(os.Stderr, "database schema at version %d\n", version)
			return nil
		},
	}
}

// Seed is `stockgraph seed`.
func Seed() *cobra.Command {
	o := seed.Options{Progress: os.Stderr}
	cmd := &cobra.Command{
		Use:   "seed --store HANDLE [--products N --variants M --locations L]",
		Short: "Create a store with deterministic demo data",
		Long: `Create the store when missing and fill it with deterministic demo data:
locations LOC-1..L, products P00001.., variants P00001-01.. and their stock.
A store that has products already is left as it is.`,
		Example: "  stockgraph seed --store demo --products 100 --variants 10 --locations 5",
		Args:    noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			db, err := openDB(cmd.Context(), true)
			if err != nil {
				return err
			}
			defer db.Close()
			start := time.Now()
			res, err := seed.Run(cmd.Context(), db.DB, o)
			if err != nil {
				return err
			}
			if res.Seeded {
				fmt.Fprintf(os.Stderr, "seeded store %q in %s\n", res.Store.Handle, time.Since(start).Round(time.Millisecond))
			}
			return nil
		},
	}
	storeFlag(cmd, &o.StoreHandle)
	cmd.Flags().IntVar(&o.Products, "products", 100, "number of products (1-100000)")
	cmd.Flags().IntVar(&o.Variants, "variants", 10, "variants per product (1-100)")
	cmd.Flags().IntVar(&o.Locations, "locations", 5, "number of locations (1-50)")
	return cmd
}
