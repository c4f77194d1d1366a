# The two commands users need: `make run` and `make test`. Both start a
# private PostgreSQL 15 (scripts/pg.sh) unless DATABASE_URL is set.
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
GO ?= go
BIN := bin/stockgraph
LISTEN_ADDR ?= 127.0.0.1:8080
DEMO_STORE ?= demo

# When DATABASE_URL is unset, targets that need a database start the
# private cluster and use it.
ifeq ($(strip $(DATABASE_URL)),)
DB_START := scripts/pg.sh start
export DATABASE_URL := $(shell scripts/pg.sh url)
else
DB_START := true
endif

.PHONY: run test build generate check-generated check-port vet unit bench db-start db-stop deps-test clean

build:
	$(GO) build -o $(BIN) .

## run: start PostgreSQL, migrate, seed a demo store when empty, print a token and serve GraphiQL
run: build
	@$(MAKE) --no-print-directory check-port
	@$(DB_START)
	@$(BIN) migrate
	@$(BIN) seed --store $(DEMO_STORE) --products 100 --variants 10 --locations 5
	@token=$$($(BIN) token create --store $(DEMO_STORE) --name "make run" \
	    --scopes read_inventory,write_inventory,write_catalog,manage_webhooks); \
	echo; echo "  GraphiQL:  http://$(LISTEN_ADDR)/   (the token below is prefilled in its Headers tab)"; \
	echo "  GraphQL:   http://$(LISTEN_ADDR)/graphql"; \
	echo "  Token:     $$token"; \
	echo "  Try:       curl -s http://$(LISTEN_ADDR)/graphql -H 'Authorization: Bearer $$token' -H 'Content-Type: application/json' -d '{\"query\":\"{ store { name } }\"}'"; \
	echo; \
	STOCKGRAPH_DEV_TOKEN=$$token LISTEN_ADDR=$(LISTEN_ADDR) exec $(BIN) serve --dev

# check-port fails when something already answers on LISTEN_ADDR, so that
# run stops before it migrates, seeds and mints a token it cannot serve.
check-port:
	@addr='$(LISTEN_ADDR)'; host=$${addr%:*}; port=$${addr##*:}; host=$${host#[}; host=$${host%]}; \
	case "$$host" in ''|0.0.0.0|::) host=127.0.0.1;; esac; \
	if timeout 2 bash -c 'exec 3<>"/dev/tcp/$$0/$$1"' "$$host" "$$port" 2>/dev/null; then \
	  echo "make run: port $$port is already in use (LISTEN_ADDR=$$addr): is another 'make run' still serving?" >&2; \
	  echo "  Stop it, or pick another port: make run LISTEN_ADDR=$$host:$$((port + 1))" >&2; \
	  exit 1; \
	fi

# The fuzz targets make test runs briefly, as package:Target.
FUZZ_TARGETS = ./internal/api/relay:FuzzParseID ./internal/api/relay:FuzzCursors ./internal/api/cost:FuzzAnalyze ./internal/api/cost:FuzzActual ./internal/orders:FuzzPlan ./internal/inventory:FuzzAdjustQuantities \
	./internal/transfer:FuzzImportCSV ./internal/transfer:FuzzImportJSONL ./internal/catalog:FuzzListProducts
FUZZTIME ?= 5s

## test: everything CI runs
test: deps-test vet check-generated
	@$(DB_START)
	@echo "== building with -race (first run: several minutes; later runs reuse Go's build cache)"
	$(GO) build -race ./...
	@echo "== go test -race ./... (one line per package as each finishes; DATABASE_URL=$(DATABASE_URL))"
	$(GO) test -race -count=1 -timeout 12m ./...
	@echo "== the flash sale, 20 times in a row (64 orders race for 10 units and 5 backorders)"
	$(GO) test -race -count=20 -timeout 5m -run '^TestFlashSale$$' ./internal/orders/
	@echo "== each fuzz target for $(FUZZTIME) (a crasher is saved under testdata/fuzz and replays in every later go test)"
	@set -e; log=$$(mktemp); for target in $(FUZZ_TARGETS); do \
	  pkg=$${target%%:*}; name=$${target##*:}; echo "   $$name ($$pkg)"; \
	  if ! $(GO) test -run '^$$' -fuzz "^$$name$$" -fuzztime $(FUZZTIME) $$pkg >$$log 2>&1; then \
	    tail -30 $$log; \
	    if grep -q "Failing input written" $$log; then rm -f $$log; exit 1; fi; \
	    echo "   (the fuzzer itself failed, with no failing input: running $$name once more)"; \
	    $(GO) test -run '^$$' -fuzz "^$$name$$" -fuzztime $(FUZZTIME) $$pkg >$$log 2>&1 || { tail -30 $$log; rm -f $$log; exit 1; }; \
	  fi; \
	done; rm -f $$log

vet:
	@echo "== go vet and gofmt (the first run compiles the dependencies: a minute or two)"
	$(GO) vet ./...
	@unformatted=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	if [ -n "$$unformatted" ]; then echo "gofmt would change: $$unformatted"; exit 1; fi

## check-generated: regenerate the gqlgen code and fail when it differs from what is committed
check-generated:
	@echo "== gqlgen generate (checking graph/ and resolvers/ are current; the first run compiles gqlgen)"
	@tmp=$$(mktemp -d); cp -r graph resolvers "$$tmp"/; \
	$(GO) run ./internal/gqlgen; \
	if ! diff -r "$$tmp"/graph graph >/dev/null || ! diff -r "$$tmp"/resolvers resolvers >/dev/null; then \
	  diff -ru "$$tmp"/graph graph | head -40; diff -ru "$$tmp"/resolvers resolvers | head -40; \
	  rm -rf "$$tmp"; echo "generated code is stale: run 'make generate' and commit"; exit 1; fi; \
	rm -rf "$$tmp"

generate:
	$(GO) run ./internal/gqlgen

# Chromium drives the GraphiQL browser test; install Debian's when missing.
deps-test:
	@if ! command -v chromium >/dev/null 2>&1; then \
	  if [ "$$(id -u)" = 0 ]; then \
	    echo "== installing chromium for the browser test (apt-get, first run only: a minute or two)"; \
	    DEBIAN_FRONTEND=noninteractive apt-get update -qq && \
	    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	  else echo "chromium is missing (the browser test needs it): sudo apt-get install -y chromium"; exit 1; fi; \
	fi

## bench: benchmarks and long measurements (not part of make test)
bench: build
	@$(DB_START)
	@$(BIN) migrate
	$(BIN) bench --products 100 --variants 10 --locations 5 --requests 300 --clients 4
	$(BIN) bench writes --clients 8,32 --duration 10s
	$(BIN) bench orders --clients 32 --duration 10s --skus 1000
	$(BIN) bench events --subscribers 100 --writers 8 --duration 10s
	$(GO) test -run '^$$' -bench . -benchtime 50x ./internal/api/...
	$(GO) test -run '^$$' -bench Deliveries -benchtime 5000x ./internal/webhooks/
	$(GO) test -run '^$$' -bench API100k -benchtime 2x ./internal/bulk/

db-start:
	@scripts/pg.sh start

db-stop:
	@scripts/pg.sh stop

clean:
	rm -rf bin
