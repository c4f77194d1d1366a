#!/usr/bin/env bash
# Re-fetches the vendored GraphiQL browser assets from the npm registry at
# pinned versions and copies the browser-ready builds into web/assets/.
# The copied files are committed, so neither `go build` nor running the
# server needs npm or the network; run this only to upgrade or re-verify.
#
# Usage: web/fetch-assets.sh          # fetch and overwrite web/assets/
#        web/fetch-assets.sh --check  # fetch and verify against SHA256SUMS
set -euo pipefail

GRAPHIQL_VERSION=3.9.0
REACT_VERSION=18.3.1
REACT_DOM_VERSION=18.3.1

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
assets="$here/assets"
mode="${1:-}"

tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT

# npm pack checks each tarball against the registry's integrity hash.
(cd "$tmp" && npm pack --silent \
	"graphiql@$GRAPHIQL_VERSION" \
	"react@$REACT_VERSION" \
	"react-dom@$REACT_DOM_VERSION" >/dev/null)

for pkg in "graphiql-$GRAPHIQL_VERSION" "react-$REACT_VERSION" "react-dom-$REACT_DOM_VERSION"; do
	mkdir -p "$tmp/$pkg"
	tar -xzf "$tmp/$pkg.tgz" -C "$tmp/$pkg"
done

out="$tmp/out"
mkdir -p "$out"
# graphiql's UMD build bundles @graphiql/react, CodeMirror 5, graphql-js and
# graphql-ws; it expects React and ReactDOM as globals (window.React/ReactDOM).
cp "$tmp/graphiql-$GRAPHIQL_VERSION/package/graphiql.min.js" "$out/graphiql.min.js"
cp "$tmp/graphiql-$GRAPHIQL_VERSION/package/graphiql.min.css" "$out/graphiql.min.css"
cp "$tmp/react-$REACT_VERSION/package/umd/react.production.min.js" "$out/react.production.min.js"
cp "$tmp/react-dom-$REACT_DOM_VERSION/package/umd/react-dom.production.min.js" "$out/react-dom.production.min.js"
cp "$tmp/graphiql-$GRAPHIQL_VERSION/package/LICENSE" "$out/LICENSE.graphiql"
cp "$tmp/react-$REACT_VERSION/package/LICENSE" "$out/LICENSE.react"
cp "$tmp/react-dom-$REACT_DOM_VERSION/package/LICENSE" "$out/LICENSE.react-dom"

files=(graphiql.min.js graphiql.min.css react.production.min.js react-dom.production.min.js
	LICENSE.graphiql LICENSE.react LICENSE.react-dom)

if [[ "$mode" == "--check" ]]; then
	cp "$assets/SHA256SUMS" "$out/SHA256SUMS"
	(cd "$out" && sha256sum --check --strict SHA256SUMS)
	# Also make sure the committed copies match what was just fetched.
	(cd "$assets" && sha256sum --check --strict SHA256SUMS)
	exit 0
fi

for f in "${files[@]}"; do
	cp "$out/$f" "$assets/$f"
done
(cd "$assets" && sha256sum "${files[@]}" >SHA256SUMS)
echo "fetched graphiql@$GRAPHIQL_VERSION react@$REACT_VERSION react-dom@$REACT_DOM_VERSION into $assets"
