#!/usr/bin/env bash
# What `npm run stack` (and `npm run chaos`) need beyond `npm start`: Debian's PostgreSQL, and the
# Temporal server with its schema tool built from the Go module go.temporal.io/server (no binary
# downloads), cached per version under ${XDG_CACHE_HOME:-$HOME/.cache}/eksflow/temporal-server-<version>/bin.
# Called by `provision.sh --with-stack`; can run on its own. Cold cost is measured in README ("npm run stack").
#
# v1.31.x is the newest line this machine's Go (1.26.8) builds: v1.32 needs a newer Go. Its go.mod
# requires go.temporal.io/auto-scaled-workers at v0.0.0-1.31.2, a version the Go module proxy does
# not serve, so the server is built from a scratch module that replaces it with the commit
# v1.31.2 of the server pinned (the same code, published as a pseudo-version).
set -euo pipefail

TEMPORAL_SERVER_VERSION=${TEMPORAL_SERVER_VERSION:-v1.31.4}
AUTO_SCALED_WORKERS_VERSION=v0.0.0-20260407181057-edd947d743d2

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cache="${XDG_CACHE_HOME:-$HOME/.cache}/eksflow"
tools="$root/.tools"
mkdir -p "$cache" "$tools/bin"
step() { printf '[provision] %-28s %s\n' "$1" "$2"; }
elapsed() { echo "$(( ($(date +%s%N) - $1) / 1000000 )) ms"; }

# --- PostgreSQL (Debian's package; its service is not started: the stack runs initdb/postgres itself)
pg_bin() { ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1; }
if [ -z "$(pg_bin)" ] || [ ! -x "$(pg_bin)/postgres" ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    s=$(date +%s%N)
    step "postgresql" "installing Debian's postgresql"
    (DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends postgresql \
      || (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends postgresql)) >"$cache/postgresql.log" 2>&1 \
      || { echo "[provision] apt-get could not install postgresql; see $cache/postgresql.log" >&2; exit 1; }
    step "postgresql" "installed ($(elapsed "$s"))"
  else
    echo "[provision] missing: install Debian's 'postgresql' package (npm run stack runs it)" >&2; exit 1
  fi
else
  step "postgresql" "present ($(pg_bin))"
fi
for b in initdb postgres pg_ctl pg_isready; do ln -sfn "$(pg_bin)/$b" "$tools/bin/$b"; done

# --- Temporal server + temporal-sql-tool ----------------------------------------------------------
dir="$cache/temporal-server-$TEMPORAL_SERVER_VERSION"
if [ ! -x "$dir/bin/temporal-server" ] || [ ! -x "$dir/bin/temporal-sql-tool" ]; then
  command -v go >/dev/null 2>&1 || { echo "[provision] missing toolchain: 'go' is needed to build the Temporal server. Install it and run again." >&2; exit 1; }
  s=$(date +%s%N)
  step "temporal server" "building $TEMPORAL_SERVER_VERSION from its Go module (several minutes, once)"
  tmp=$(mktemp -d)
  cat >"$tmp/go.mod" <<MOD
module eksflow.dev/temporal-server-build

go 1.26.8

require go.temporal.io/server $TEMPORAL_SERVER_VERSION

replace go.temporal.io/auto-scaled-workers => go.temporal.io/auto-scaled-workers $AUTO_SCALED_WORKERS_VERSION
MOD
  log="$cache/temporal-server-$TEMPORAL_SERVER_VERSION.log"
  if ! (cd "$tmp" && export GOTOOLCHAIN=local GOFLAGS="-buildvcs=false -mod=mod" \
        && nice -n 10 go get "go.temporal.io/server@$TEMPORAL_SERVER_VERSION" \
        && nice -n 10 go build -p "${EKSFLOW_BUILD_PARALLELISM:-2}" -trimpath -ldflags "-s -w" -o "$dir/bin.partial/temporal-server" go.temporal.io/server/cmd/server \
        && nice -n 10 go build -p "${EKSFLOW_BUILD_PARALLELISM:-2}" -trimpath -ldflags "-s -w" -o "$dir/bin.partial/temporal-sql-tool" go.temporal.io/server/cmd/tools/sql) \
        >"$log" 2>&1; then
    echo "[provision] could not build the Temporal server; see $log" >&2; exit 1
  fi
  # The schema files temporal-sql-tool applies (schema/postgresql/v12/...) ship in the module.
  moddir=$(cd "$tmp" && GOTOOLCHAIN=local go list -m -f '{{.Dir}}' go.temporal.io/server)
  rm -rf "$dir/schema.partial" && cp -r "$moddir/schema" "$dir/schema.partial" && chmod -R u+w "$dir/schema.partial"
  rm -rf "$dir/bin" "$dir/schema" && mv "$dir/bin.partial" "$dir/bin" && mv "$dir/schema.partial" "$dir/schema" && rm -rf "$tmp"
  step "temporal server" "built $dir/bin ($(elapsed "$s"))"
else
  step "temporal server" "cached $dir/bin"
fi
ln -sfn "$dir/bin/temporal-server" "$tools/bin/temporal-server"
ln -sfn "$dir/bin/temporal-sql-tool" "$tools/bin/temporal-sql-tool"
ln -sfn "$dir/schema" "$tools/temporal-schema"

# --- Temporal Web UI server -----------------------------------------------------------------------
# The Web UI server (same version as docker-compose's temporalio/ui image; its assets are embedded in the module).
TEMPORAL_UI_VERSION=${TEMPORAL_UI_VERSION:-v2.42.1}
ui_dir="$cache/temporal-ui-$TEMPORAL_UI_VERSION"
if [ ! -x "$ui_dir/bin/temporal-ui-server" ]; then
  s=$(date +%s%N)
  step "temporal ui" "building $TEMPORAL_UI_VERSION from its Go module (a minute or two, once)"
  if ! (cd /tmp && GOTOOLCHAIN=local GOFLAGS=-buildvcs=false GOBIN="$ui_dir/bin.partial" \
        nice -n 10 go install -trimpath -ldflags "-s -w" "github.com/temporalio/ui-server/v2/cmd/server@$TEMPORAL_UI_VERSION") \
        >"$cache/temporal-ui-$TEMPORAL_UI_VERSION.log" 2>&1; then
    echo "[provision] could not build the Temporal UI server; see $cache/temporal-ui-$TEMPORAL_UI_VERSION.log" >&2; exit 1
  fi
  mv "$ui_dir/bin.partial/server" "$ui_dir/bin.partial/temporal-ui-server"
  rm -rf "$ui_dir/bin" && mv "$ui_dir/bin.partial" "$ui_dir/bin"
  step "temporal ui" "built $ui_dir/bin ($(elapsed "$s"))"
else
  step "temporal ui" "cached $ui_dir/bin"
fi
ln -sfn "$ui_dir/bin/temporal-ui-server" "$tools/bin/temporal-ui-server"
