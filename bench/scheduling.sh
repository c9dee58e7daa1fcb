#!/usr/bin/env bash
# Backlog optimiser benchmark (docs/PERFORMANCE.md, "Scheduling: backlog optimiser").
#
# Generates instances with the shared generator (shared/bench/scheduling, FORMAT.md), plans each
# with the release binary, checks every plan with evaluate.py, and records served, objective,
# wall time and peak memory (/usr/bin/time -v), the LP upper bound on served (OR-Tools GLOP, or
# SciPy's HiGHS when OR-Tools cannot be installed) and a greedy-in-release-order baseline.
#
# usage: bench/scheduling.sh            (sizes S M L XL, loads 0.8 1.0, seeds 1 2 3)
# environment: SIZES="S M" LOADS="0.8" SEEDS="1" OUT=dir BOUND_SIZES="S M L" CPSAT=1
#   BOUND_SIZES: sizes whose LP bound is computed (XL's takes very long: off by default);
#   CPSAT=1: also run OR-Tools CP-SAT for 60 s (2 workers) on M, load 1.0, seed 1.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
SHARED=${SHARED:-$ROOT/../shared/bench/scheduling}
OUT=${OUT:-/var/tmp/cmh-bench}
SIZES=${SIZES:-"S M L XL"}
LOADS=${LOADS:-"0.8 1.0"}
SEEDS=${SEEDS:-"1 2 3"}
BOUND_SIZES=${BOUND_SIZES:-"S M L"}
VENV=${VENV:-$OUT/venv}
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-/var/tmp/cmh-target-scheduling}
BIN=$CARGO_TARGET_DIR/release/connect-my-home
mkdir -p "$OUT"

declare -A N=([S]=500 [M]=2000 [L]=4000 [XL]=20000)

(cd "$ROOT" && cargo build --release --quiet)

# The LP bound needs OR-Tools (pip) or, failing that, SciPy.
if [ ! -x "$VENV/bin/python" ]; then python3 -m venv "$VENV"; fi
if ! "$VENV/bin/python" -c "import ortools" 2>/dev/null; then
  "$VENV/bin/pip" install --quiet ortools || "$VENV/bin/pip" install --quiet scipy numpy
fi
PY=$VENV/bin/python

RESULTS=$OUT/results.tsv
printf "size\tload\tseed\tserved\tbound\tratio\tgreedy\tobjective\twait\topenings\tseconds\tcpu_s\tpeak_MB\n" > "$RESULTS"
for size in $SIZES; do
  for load in $LOADS; do
    for seed in $SEEDS; do
      name=$size-$load-$seed
      inst=$OUT/$name.json
      [ -f "$inst" ] || python3 "$SHARED/make_instance.py" "${N[$size]}" "$load" "$seed" "$inst"
      /usr/bin/time -v "$BIN" schedule --instance "$inst" --out "$OUT/$name.plan.json" \
        > /dev/null 2> "$OUT/$name.time"
      score=$(python3 "$SHARED/evaluate.py" "$inst" "$OUT/$name.plan.json") || {
        echo "$name: $score" >&2; exit 1; }
      secs=$(awk -F': ' '/Elapsed \(wall clock\)/ {n = split($2, t, ":"); s = 0;
        for (i = 1; i <= n; i++) s = s * 60 + t[i]; print s}' "$OUT/$name.time")
      # CPU seconds (user + system) tell contention from other jobs apart from real slowness.
      cpu=$(awk -F': ' '/User time|System time/ {s += $2} END {printf "%.2f", s}' "$OUT/$name.time")
      mem=$(awk -F': ' '/Maximum resident set size/ {printf "%.1f", $2 / 1024}' "$OUT/$name.time")
      python3 "$ROOT/bench/greedy.py" "$inst" "$OUT/$name.greedy.json"
      greedy=$(python3 "$SHARED/evaluate.py" "$inst" "$OUT/$name.greedy.json" |
        python3 -c 'import json,sys; print(json.load(sys.stdin)["served"])')
      bound=-
      if [[ " $BOUND_SIZES " == *" $size "* ]]; then
        [ -f "$OUT/$name.bound" ] || "$PY" "$ROOT/bench/lp_bound.py" "$inst" > "$OUT/$name.bound"
        bound=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["bound"])' "$OUT/$name.bound")
      fi
      python3 - "$score" "$bound" "$greedy" "$size" "$load" "$seed" "$secs" "$cpu" "$mem" >> "$RESULTS" <<'PY'
import json, sys
s = json.loads(sys.argv[1]); bound, greedy = sys.argv[2], int(sys.argv[3])
ratio = f"{100 * s['served'] / float(bound):.2f}%" if bound != "-" else "-"
g = f"{greedy} ({100 * greedy / float(bound):.1f}%)" if bound != "-" else str(greedy)
print("\t".join(map(str, [sys.argv[4], sys.argv[5], sys.argv[6], s["served"], bound, ratio, g,
                          s["objective"], s["wait"], s["openings"], sys.argv[7], sys.argv[8],
                          sys.argv[9]])))
PY
      tail -n 1 "$RESULTS"
    done
  done
done

if [ "${CPSAT:-0}" = 1 ]; then
  inst=$OUT/M-1.0-1.json
  [ -f "$inst" ] || python3 "$SHARED/make_instance.py" 2000 1.0 1 "$inst"
  echo "CP-SAT, 60 s, 2 workers, M load 1.0 seed 1 (served only):"
  (cd "$ROOT/bench" && /usr/bin/time -f "%e s, peak %M KB" "$PY" cpsat.py "$inst" 60 2)
fi
echo "results: $RESULTS"
