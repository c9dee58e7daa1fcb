#!/usr/bin/env bash
# Fault suite (docs/RELIABILITY.md, "Fault suite"): the release binary under injected faults,
# each scenario printing attempts / lost / duplicated. Exits 1 if anything was lost or
# delivered twice.
#
# usage: bench/faults/run.sh [scenario…]   (default: all)
#   relay_down_up relay_hung kill9_filings kill9_send_offer sigterm_burst two_instances_pg
# environment:
#   CARGO_TARGET_DIR  build to use (default /var/tmp/cmh-release)
#   PROFILE           release (default) or debug: CI runs the debug build its tests made
#   SKIP_BUILD=1      do not run cargo build first
#   ENGINE            sqlite (default) or postgres, for every scenario but two_instances_pg
#                     (always PostgreSQL)
#   PG_URL            PostgreSQL server (default postgres://postgres@127.0.0.1:5432)
#   OUT               where data directories and logs go (default /var/tmp/cmh-faults)
#   KEEP=1            keep each scenario's data directory and logs
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-/var/tmp/cmh-release}
for tool in python3 psql; do
    command -v "$tool" >/dev/null || {
        echo "missing tool: $tool (apt-get install -y python3 postgresql-client)" >&2
        exit 2
    }
done
PROFILE=${PROFILE:-release}
case "$PROFILE" in
    release) build=(--release) ;;
    debug) build=() ;;
    *) echo "PROFILE is release or debug, not $PROFILE" >&2; exit 2 ;;
esac
if [ "${SKIP_BUILD:-0}" != 1 ]; then
    (cd "$ROOT" && cargo build "${build[@]}" --quiet --bin connect-my-home)
fi
exec python3 "$ROOT/bench/faults/faults.py" "$CARGO_TARGET_DIR/$PROFILE/connect-my-home" "$@"
