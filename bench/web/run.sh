#!/usr/bin/env bash
# Web pages under load (docs/PERFORMANCE.md, "Web pages under load (bench/web)").
#
# Measures the release build of the product with wrk beside a bare axum + sqlx anchor
# (examples/web_anchor.rs) on the same machine and database engine, and prints requests/s,
# p99 latency, the ratio to the anchor and PASS/FAIL against the targets. A missed target is a
# measurement, not a failure; an endpoint answering errors (non-2xx/3xx) is a failure.
#
# usage: bench/web/run.sh [sqlite|postgres|both]        (default: both)
# environment:
#   CARGO_TARGET_DIR  release build to use (default /var/tmp/cmh-release)
#   SKIP_BUILD=1      do not run cargo build first
#   PG_URL            PostgreSQL server (default postgres://postgres@127.0.0.1:5432)
#   DURATION WARMUP   wrk durations (default 10s and 3s); CONNS THREADS (default 32 and 2)
#   TOTAL WAITING     requests in the database for the large-data pages (100000), of which
#                     waiting for a joint day (2000)
#   OUT               where results and logs are kept (default /var/tmp/cmh-bench-web)
#   KEEP=1            keep the databases (SQLite files and PostgreSQL databases) for a look after
#   PAGES_ONLY=1      stop after the two kept pages (status, officer's request page): no filing,
#                     no large data
#   FILING_ONLY=1     the anchor and filing only: no pages, no large data
#   ANALYZE_AFTER_WARMUP=0  PostgreSQL: filing measured without analysing the tables after
#                     its warm-up (plans of the demo's few rows kept, see below)
#   WORKERS=false     the product without its background workers (an experiment: the targets
#                     are measured with them on; the drain then waits for nothing)
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
HERE=$ROOT/bench/web
MODE=${1:-both}
case "$MODE" in sqlite | postgres) ENGINES=$MODE ;; both) ENGINES="sqlite postgres" ;; *)
    echo "usage: $0 [sqlite|postgres|both]" >&2
    exit 2
    ;;
esac
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-/var/tmp/cmh-release}
BIN=$CARGO_TARGET_DIR/release/connect-my-home
ANCHOR=$CARGO_TARGET_DIR/release/examples/web_anchor
PG_URL=${PG_URL:-postgres://postgres@127.0.0.1:5432}
DURATION=${DURATION:-10s}
WARMUP=${WARMUP:-3s}
CONNS=${CONNS:-32}
THREADS=${THREADS:-2}
TOTAL=${TOTAL:-100000}
WAITING=${WAITING:-2000}
PRODUCT_PORT=${PRODUCT_PORT:-18080}
ANCHOR_PORT=${ANCHOR_PORT:-18081}
OUT=${OUT:-/var/tmp/cmh-bench-web}
RAISED=1000000000  # the throttles per client address and per mailbox, out of the way
START_TIMEOUT=120  # seconds for a server to answer
DRAIN_TIMEOUT=300  # seconds for the workers to send the mail and answer the assessments

for tool in wrk curl sqlite3 psql awk; do
    command -v "$tool" >/dev/null || {
        echo "missing tool: $tool (apt-get install -y wrk sqlite3 postgresql-client curl)" >&2
        exit 2
    }
done

if [ "${SKIP_BUILD:-0}" != 1 ]; then
    (cd "$ROOT" && cargo build --release --quiet --bin connect-my-home --example web_anchor)
fi

mkdir -p "$OUT"
WORK=$(mktemp -d "$OUT/run.XXXXXX")
RESULTS=$WORK/results.tsv
: >"$RESULTS"
PIDS=()
PG_DBS=()

cleanup() {
    local status=$?
    for pid in "${PIDS[@]}"; do
        kill "$pid" 2>/dev/null || true
    done
    for pid in "${PIDS[@]}"; do
        wait "$pid" 2>/dev/null || true
    done
    if [ "${KEEP:-0}" != 1 ]; then
        for db in "${PG_DBS[@]}"; do
            psql -X -q "$PG_URL/postgres" -c "DROP DATABASE IF EXISTS $db WITH (FORCE)" >/dev/null 2>&1 || true
        done
        rm -rf "$WORK"/*/data "$WORK"/*/anchor.db* 2>/dev/null || true
    else
        echo "bench/web: kept $WORK and the databases ${PG_DBS[*]:-}" >&2
    fi
    if [ $status -ne 0 ]; then echo "bench/web: FAILED (exit $status); logs in $WORK" >&2; fi
    exit $status
}
trap cleanup EXIT
trap 'exit 130' INT TERM

die() {
    echo "bench/web: ERROR: $*" >&2
    exit 1
}
log() { echo "[$(date +%H:%M:%S)] $*" >&2; }

# --- database helpers (ENGINE, DB_FILE / DB_URL set per engine) --------------------------

sql() {
    if [ "$ENGINE" = sqlite ]; then
        sqlite3 -batch -cmd ".timeout 30000" "$DB_FILE" "$1"
    else
        psql -X -q -At -v ON_ERROR_STOP=1 "$DB_URL" -c "$1"
    fi
}

sql_file() {
    if [ "$ENGINE" = sqlite ]; then
        sqlite3 -batch -bail -cmd ".timeout 30000" "$DB_FILE" <"$1"
    else
        PGOPTIONS="-c client_min_messages=warning" psql -X -q -At -v ON_ERROR_STOP=1 -1 "$DB_URL" -f "$1" >/dev/null
    fi
}

columns() {
    if [ "$ENGINE" = sqlite ]; then
        sql "SELECT name FROM pragma_table_info('$1') ORDER BY cid"
    else
        sql "SELECT column_name FROM information_schema.columns WHERE table_schema = 'public' AND table_name = '$1' ORDER BY ordinal_position"
    fi
}

# INSERT INTO table (every column) SELECT src.column or its override FROM ...:
# copy_rows TABLE FROM_CLAUSE col=expr ...
copy_rows() {
    local table=$1 from=$2
    shift 2
    declare -A over=()
    local pair
    for pair in "$@"; do over[${pair%%=*}]=${pair#*=}; done
    local cols=() exprs=() col
    while read -r col; do
        [ -n "$col" ] || continue
        cols+=("$col")
        if [ -n "${over[$col]+x}" ]; then exprs+=("${over[$col]}"); else exprs+=("src.$col"); fi
    done < <(columns "$table")
    local IFS=,
    echo "INSERT INTO $table (${cols[*]}) SELECT ${exprs[*]} FROM $from;"
}

# --- servers ------------------------------------------------------------------------------

wait_http() { # url pid name
    local deadline=$((SECONDS + START_TIMEOUT)) code
    while [ $SECONDS -lt $deadline ]; do
        kill -0 "$2" 2>/dev/null || die "$3 exited during start-up (log: $WORK/$ENGINE/$3.log)"
        code=$(curl -s -o /dev/null -m 5 -w '%{http_code}' "$1" || true)
        case "$code" in 2?? | 3??) return 0 ;; esac
        sleep 0.5
    done
    die "$3 did not answer $1 within ${START_TIMEOUT}s"
}

stop() { # pid
    kill "$1" 2>/dev/null || true
    local deadline=$((SECONDS + 20))
    while kill -0 "$1" 2>/dev/null && [ $SECONDS -lt $deadline ]; do sleep 0.2; done
    kill -9 "$1" 2>/dev/null || true
    wait "$1" 2>/dev/null || true
}

# --- measuring ----------------------------------------------------------------------------

# probe NAME EXPECTED_CODE URL [curl args...]: one request first, so that an error page is
# never measured as a fast page.
probe() {
    local name=$1 expected=$2 url=$3
    shift 3
    local answer code
    answer=$(curl -s -o "$WORK/$ENGINE/probe.html" -m 120 -w '%{http_code} %{time_total}' "$@" "$url" || true)
    code=${answer%% *}
    [ "$code" = "$expected" ] || die "$name: $url answered $code, expected $expected (body: $WORK/$ENGINE/probe.html)"
    log "  probe $name: $code in ${answer#* } s"
}

# run_wrk OUTFILE CONNS THREADS DURATION URL [wrk args...]
run_wrk() {
    local out=$1 c=$2 t=$3 d=$4 url=$5
    shift 5
    BENCH_MODE=${BENCH_MODE:-get} BENCH_BODY=${BENCH_BODY:-} BENCH_TAG=${BENCH_TAG:-run} \
        wrk -t"$t" -c"$c" -d"$d" --timeout 30s -s "$HERE/wrk.lua" "$@" "$url" >"$out" 2>&1 ||
        die "wrk failed on $url: $(tail -3 "$out")"
}

field() { sed -n "s/.*WRK_RESULT.* $2=\([^ ]*\).*/\1/p" "$1"; }

analyze_now() { sql "ANALYZE" >/dev/null; }

# measure GROUP NAME CONNS THREADS URL [wrk args...]: warm-up, then the measured run
# (AFTER_WARMUP: a command run between the two).
measure() {
    local group=$1 name=$2 c=$3 t=$4 url=$5
    shift 5
    local out=$WORK/$ENGINE/wrk-${name//[^A-Za-z0-9.]/_}.txt
    if [ "$WARMUP" != 0 ]; then
        BENCH_TAG=w$RANDOM run_wrk "$out.warmup" "$c" "$t" "$WARMUP" "$url" "$@"
    fi
    if [ -n "${AFTER_WARMUP:-}" ]; then $AFTER_WARMUP; fi
    BENCH_TAG=m$RANDOM run_wrk "$out" "$c" "$t" "$DURATION" "$url" "$@"
    local requests status sockets
    requests=$(field "$out" requests)
    status=$(field "$out" status_errors)
    [ -n "$requests" ] || die "$name: no wrk result ($out)"
    [ "$status" = 0 ] || die "$name: $status of $requests answers were not 2xx/3xx ($out)"
    sockets=$(($(field "$out" connect) + $(field "$out" read) + $(field "$out" write) + $(field "$out" timeout)))
    local p99
    p99=$(field "$out" p99_ms)
    # Nothing answered within the run (or the 30 s timeout): no latency, the line fails.
    [ "$requests" -gt 0 ] || p99=999999
    printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$ENGINE" "$group" "$name" "$c" \
        "$(field "$out" rps)" "$p99" "$requests" "$sockets" >>"$RESULTS"
    log "  $name: $(field "$out" rps) req/s, p99 $p99 ms ($requests requests, $sockets socket errors)"
}

# --- one engine ---------------------------------------------------------------------------

bench_engine() {
    ENGINE=$1
    mkdir -p "$WORK/$ENGINE"
    local anchor_url product_url
    if [ "$ENGINE" = sqlite ]; then
        anchor_url="sqlite://$WORK/sqlite/anchor.db?mode=rwc"
        DB_FILE=$WORK/sqlite/data/connect-my-home.db
        product_url="sqlite://$DB_FILE?mode=rwc"
        mkdir -p "$WORK/sqlite/data"
    else
        local suffix=$$_$RANDOM
        PG_DBS+=("cmh_bench_anchor_$suffix" "cmh_bench_product_$suffix")
        psql -X -q "$PG_URL/postgres" -c "CREATE DATABASE cmh_bench_anchor_$suffix" >/dev/null
        psql -X -q "$PG_URL/postgres" -c "CREATE DATABASE cmh_bench_product_$suffix" >/dev/null
        anchor_url="$PG_URL/cmh_bench_anchor_$suffix"
        product_url="$PG_URL/cmh_bench_product_$suffix"
        DB_URL=$product_url
    fi

    # The anchor.
    log "$ENGINE: anchor (load average $(cut -d' ' -f1-3 /proc/loadavg))"
    "$ANCHOR" --bind "127.0.0.1:$ANCHOR_PORT" --database-url "$anchor_url" >"$WORK/$ENGINE/anchor.log" 2>&1 &
    local anchor_pid=$!
    PIDS+=("$anchor_pid")
    local A=http://127.0.0.1:$ANCHOR_PORT
    wait_http "$A/plaintext" "$anchor_pid" anchor
    probe "anchor GET by key" 200 "$A/rows/row-4242"
    probe "anchor insert" 303 "$A/rows" --data "name=Marie+Dupont&email=marie.dupont%40example.be&postcode=5000&remarks=Chantier"
    measure anchor "anchor plaintext" "$CONNS" "$THREADS" "$A/plaintext"
    measure anchor "anchor GET by key" "$CONNS" "$THREADS" "$A/rows/row-4242"
    BENCH_MODE=post BENCH_BODY="name=Marie+Dupont&email=marie.dupont%40example.be&postcode=5000&remarks=Chantier+d%C3%A9marr%C3%A9" \
        measure anchor "anchor insert" "$CONNS" "$THREADS" "$A/rows"
    stop "$anchor_pid"

    # The product, on a fresh database seeded with the demo data, workers on. Every load comes
    # from 127.0.0.1 and the template filings all write to Marie: the limits per client
    # address and per mailbox, which would refuse that after a few requests, are raised.
    log "$ENGINE: product (fresh database, demo data, workers on, limits per address raised)"
    CMH_FILINGS_PER_ADDRESS_PER_HOUR=$RAISED CMH_FILING_MAILS_PER_RECIPIENT_PER_DAY=$RAISED \
        CMH_SIGN_IN_ATTEMPTS_PER_ADDRESS=$RAISED CMH_ESTIMATES_PER_ADDRESS_PER_MINUTE=$RAISED \
        "$BIN" --bind "127.0.0.1:$PRODUCT_PORT" --data-dir "$WORK/$ENGINE/data" \
        --database-url "$product_url" --seed-demo true --run-workers "${WORKERS:-true}" \
        serve >"$WORK/$ENGINE/product.log" 2>&1 &
    local product_pid=$!
    PIDS+=("$product_pid")
    local P=http://127.0.0.1:$PRODUCT_PORT
    wait_http "$P/" "$product_pid" product

    # Template requests, filed through the public form as a citizen does, one per commune the
    # service covers among a few; their answers and rows are what the bulk copies vary.
    local jar=$WORK/$ENGINE/citizen.jar start end
    start=$(date -d "+40 days" +%F)
    end=$(date -d "+100 days" +%F)
    local base_form="applicant_kind=natural&name=Marie+Dupont&email=marie.dupont%40example.be&phone=%2B32+81+23+45+67&language=fr&street=Rue+des+Tanneries&house_number=14&building=house&electricity=on&electricity_band=3x25&gas=on&water=on&proximus=on&voo=on&wished_from=$start&wished_to=$end&remarks=Chantier+d%C3%A9marr%C3%A9"
    local csrf postcode n=0 code
    for postcode in 5000 7000 6000 7100 7500; do
        rm -f "$jar"
        curl -s -c "$jar" -o "$WORK/$ENGINE/form.html" "$P/request/new"
        csrf=$(sed -n 's/.*name="csrf_token" value="\([^"]*\)".*/\1/p' "$WORK/$ENGINE/form.html" | head -1)
        [ -n "$csrf" ] || die "no csrf_token field in /request/new"
        n=$((n + 1))
        code=$(curl -s -b "$jar" -o /dev/null -w '%{http_code}' "$P/request" \
            --data "idempotency_key=tmpl-$postcode-$$&csrf_token=$csrf&postcode=$postcode&$base_form")
        case "$code" in
            303) ;;
            422) log "  postcode $postcode not covered or refused: no template there" ;;
            *) die "filing a template request at $postcode answered $code" ;;
        esac
    done
    local request_id token
    request_id=$(sql "SELECT id FROM requests WHERE idempotency_key = 'tmpl-5000-$$'")
    [ -n "$request_id" ] || die "the template request at 5000 was not filed"
    token=$(sql "SELECT body_text FROM outbox WHERE request_id = '$request_id' AND kind = 'request_filed'" |
        grep -o '/track/[A-Za-z0-9_-]*' | head -1 | cut -d/ -f3)
    [ -n "$token" ] || die "no follow link in the confirmation mail of $request_id"

    # Wait (bounded) until the operators' modules have answered the templates and the mail is out.
    drain "templates"
    local templates_state
    templates_state=$(sql "SELECT state FROM requests WHERE id = '$request_id'")
    log "  status page request $request_id is '$templates_state'"

    # Staff sessions through the sign-in form (CSRF cookie and field).
    local julien travaux
    julien=$(sign_in julien@ores.demo)
    travaux=$(sign_in travaux@namur.demo)
    # The form's token is keyed by the visitor's cookie (an HMAC of it), not the cookie itself:
    # the citizen sends the cookie of the form it took the token from.
    local visitor
    visitor=$(awk '$6 == "cmh_csrf" { print $7 }' "$jar" | tail -1)
    [ -n "$visitor" ] || die "no cmh_csrf cookie from /request/new"
    local CITIZEN="Cookie: cmh_csrf=$visitor"
    local OFFICER="Cookie: cmh_csrf=$visitor; cmh_session=$julien"
    local COMMUNE="Cookie: cmh_csrf=$visitor; cmh_session=$travaux"

    if [ "${FILING_ONLY:-0}" != 1 ]; then
        log "$ENGINE: pages on the demo data"
        settle "$product_pid"
        probe "status page" 200 "$P/track/$token" -H "$CITIZEN"
        grep -q "CMH-" "$WORK/$ENGINE/probe.html" || die "status page without the reference"
        measure page "status page /track/{token}" "$CONNS" "$THREADS" "$P/track/$token" -H "$CITIZEN"
        probe "officer request page" 200 "$P/backoffice/requests/$request_id" -H "$OFFICER"
        measure page "officer request page" "$CONNS" "$THREADS" "$P/backoffice/requests/$request_id" -H "$OFFICER"
    fi
    if [ "${PAGES_ONLY:-0}" = 1 ]; then
        stop "$product_pid"
        return
    fi

    # Filing: every request its own idempotency key; the CSRF field matches the cookie.
    local body="csrf_token=$csrf&postcode=5000&$base_form"
    probe "filing" 303 "$P/request" -H "$CITIZEN" --data "idempotency_key=load-probe-$$&$body"
    # The warm-up's filings multiply the demo's tables a hundredfold: PostgreSQL's autovacuum
    # analyses them within its minute, and each connection's statements are planned again
    # then. Done at once here (ANALYZE_AFTER_WARMUP=0 to measure without): the plans made on
    # the demo's few rows stay until then, and the workers' updates by id of a task or a
    # request found them through its state's index, every row in that state read for each
    # (docs/PERFORMANCE.md, "Plans made on the demo's tables").
    local after_warmup=
    if [ "$ENGINE" = postgres ] && [ "${ANALYZE_AFTER_WARMUP:-1}" = 1 ]; then
        after_warmup=analyze_now
    fi
    AFTER_WARMUP=$after_warmup BENCH_MODE=file BENCH_BODY=$body \
        measure filing "filing POST /request" "$CONNS" "$THREADS" "$P/request" -H "$CITIZEN"
    local filed
    filed=$(sql "SELECT COUNT(*) FROM requests WHERE idempotency_key LIKE 'load-%'")
    log "  $filed requests filed under load"
    # Only filing measured: nothing after it waits for the workers to catch up.
    if [ "${FILING_ONLY:-0}" = 1 ]; then
        stop "$product_pid"
        return
    fi
    drain "the filings"

    # 100,000 requests, of which WAITING wait for a joint day.
    log "$ENGINE: bulk insert up to $TOTAL requests"
    bulk_insert
    log "  $(sql "SELECT COUNT(*) FROM requests") requests, $(sql "SELECT COUNT(*) FROM requests r WHERE state IN ('assessed','quoted','accepted','ready_for_works') AND NOT EXISTS (SELECT 1 FROM reservations v WHERE v.request_id = r.id)") waiting for a day, $(sql "SELECT COUNT(*) FROM reservations") reservations"

    log "$ENGINE: pages with $TOTAL requests"
    large_page "officer queue /backoffice" "$P/backoffice" "$OFFICER"
    large_page "commune dashboard /commune" "$P/commune" "$COMMUNE"
    large_page "commune figures" "$P/commune/figures" "$COMMUNE"
    large_page "commune figures.csv" "$P/commune/figures.csv" "$COMMUNE"
    large_page "coordinator figures" "$P/backoffice/nuisance" "$OFFICER"
    large_page "coordinator figures.csv" "$P/backoffice/nuisance.csv" "$OFFICER"
    # One case officer planning the backlog: one connection, no warm-up beyond the probe.
    settle "$product_pid"
    probe "plan" 200 "$P/backoffice/plan" -H "$OFFICER"
    WARMUP=0 DURATION=${PLAN_DURATION:-20s} measure plan "plan /backoffice/plan" 1 1 \
        "$P/backoffice/plan" -H "$OFFICER"

    stop "$product_pid"
}

# large_page NAME URL COOKIE_HEADER: a page over the 100,000 requests, first alone (one
# connection: the time of one page), then under the load of the table (CONNS connections).
large_page() {
    settle "$product_pid"
    probe "$1" 200 "$2" -H "$3"
    WARMUP=0 measure single "$1" 1 1 "$2" -H "$3"
    settle "$product_pid"
    measure large "$1" "$CONNS" "$THREADS" "$2" -H "$3"
}

# settle PID: waits (at most 120 s) until the product is idle (under 10% of a core for a
# second): a page still computing for a client wrk has left must not weigh on the next line.
settle() {
    local deadline=$((SECONDS + 120)) before after hz
    hz=$(getconf CLK_TCK)
    while [ $SECONDS -lt $deadline ]; do
        before=$(awk '{ print $14 + $15 }' "/proc/$1/stat")
        sleep 1
        after=$(awk '{ print $14 + $15 }' "/proc/$1/stat")
        [ $((after - before)) -lt $((hz / 10)) ] && return 0
    done
    log "  WARNING: the product is still busy after 120 s; measuring anyway"
}

sign_in() { # email -> session token
    local jar=$WORK/$ENGINE/staff.jar csrf code session
    rm -f "$jar"
    curl -s -c "$jar" -o "$WORK/$ENGINE/login.html" "$P/login"
    csrf=$(sed -n 's/.*name="csrf_token" value="\([^"]*\)".*/\1/p' "$WORK/$ENGINE/login.html" | head -1)
    [ -n "$csrf" ] || die "no csrf_token field in /login"
    code=$(curl -s -b "$jar" -c "$jar" -o /dev/null -w '%{http_code}' "$P/login" \
        --data-urlencode "email=$1" --data-urlencode "password=demo-connect-2026" \
        --data-urlencode "csrf_token=$csrf")
    [ "$code" = 303 ] || die "signing in as $1 answered $code"
    session=$(awk '$6 == "cmh_session" { print $7 }' "$jar")
    [ -n "$session" ] || die "no session cookie for $1"
    echo "$session"
}

drain() { # what: waits until no mail and no assessment is pending
    [ "${WORKERS:-true}" = false ] && return 0
    local deadline=$((SECONDS + DRAIN_TIMEOUT)) pending
    while :; do
        pending=$(sql "SELECT (SELECT COUNT(*) FROM outbox WHERE status = 'pending') + (SELECT COUNT(*) FROM assessments WHERE status = 'pending')")
        [ "$pending" = 0 ] && return 0
        if [ $SECONDS -ge $deadline ]; then
            log "  WARNING: $pending mails/assessments still pending after ${DRAIN_TIMEOUT}s ($1); measuring anyway"
            return 0
        fi
        sleep 1
    done
}

# Engine-specific SQL pieces.
sql_pieces() {
    if [ "$ENGINE" = sqlite ]; then
        PAD12="substr('000000000000' || n.i, -12, 12)"
        PAD6() { echo "substr('000000' || ($1), -6, 6)"; }
        PAD4() { echo "substr('0000' || ($1), -4, 4)"; }
        AGO() { echo "(strftime('%Y-%m-%dT%H:%M:%S', 'now', '-' || ($1) || ' seconds') || '.000000Z')"; }
        DAY_PLUS() { echo "date(substr($1, 1, 10), '+' || ($2) || ' days')"; }
        TODAY_PLUS() { echo "date('now', '+' || ($1) || ' days')"; }
    else
        PAD12="lpad(n.i::text, 12, '0')"
        PAD6() { echo "lpad(($1)::text, 6, '0')"; }
        PAD4() { echo "lpad(($1)::text, 4, '0')"; }
        AGO() { echo "(to_char(timezone('UTC', now()) - ($1) * interval '1 second', 'YYYY-MM-DD\"T\"HH24:MI:SS') || '.000000Z')"; }
        DAY_PLUS() { echo "to_char(to_date(substr($1, 1, 10), 'YYYY-MM-DD') + ($2)::int, 'YYYY-MM-DD')"; }
        TODAY_PLUS() { echo "to_char(current_date + ($1)::int, 'YYYY-MM-DD')"; }
    fi
}

# Copies the answered template requests into realistic rows: spread over two years and over
# the template communes, in every state, with their services, parties, timeline, operators'
# answers, and joint days (reservations) for the works done.
bulk_insert() {
    sql_pieces
    local waiting_states="'assessed','quoted','accepted','ready_for_works'"
    # The requests filed under load would all wait for a day once answered: they are withdrawn
    # so that the backlog holds exactly WAITING requests.
    sql "UPDATE requests SET state = 'withdrawn' WHERE idempotency_key LIKE 'load-%'"
    local existing waiting_now k
    existing=$(sql "SELECT COUNT(*) FROM requests")
    waiting_now=$(sql "SELECT COUNT(*) FROM requests r WHERE state IN ($waiting_states) AND NOT EXISTS (SELECT 1 FROM reservations v WHERE v.request_id = r.id)")
    local add=$((TOTAL - existing)) wn=$((WAITING - waiting_now))
    [ $add -gt 0 ] || die "already $existing requests, more than TOTAL=$TOTAL"
    [ $wn -ge 0 ] || wn=0
    local f=$WORK/$ENGINE/bulk.sql
    {
        if [ "$ENGINE" = sqlite ]; then echo "BEGIN IMMEDIATE;"; fi
        # PostgreSQL runs a function per row for the revision triggers (db::revisions), which
        # moved each new request's revision once per copied row: minutes for a million rows.
        # The copies are new requests nobody has read, so this session skips the triggers; the
        # read models' rebuild below moves the organisations' revisions as usual.
        if [ "$ENGINE" = postgres ]; then echo "SET LOCAL session_replication_role = replica;"; fi
        echo "DROP TABLE IF EXISTS bench_tmpl; DROP TABLE IF EXISTS bench_n;"
        echo "CREATE TABLE bench_tmpl AS SELECT ROW_NUMBER() OVER (ORDER BY id) - 1 AS t, id FROM requests WHERE idempotency_key LIKE 'tmpl-%' AND state IN ($waiting_states);"
        # i: the bulk row; 1..wn wait for a day (the most recent), older ones are further on.
        echo "CREATE TABLE bench_n AS WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < $add) SELECT i, i % (SELECT COUNT(*) FROM bench_tmpl) AS t, CASE WHEN i <= $wn THEN 'assessed' WHEN i <= 6200 THEN (CASE i % 4 WHEN 0 THEN 'incomplete' WHEN 1 THEN 'complete' WHEN 2 THEN 'withdrawn' ELSE 'refused' END) WHEN i % 20 < 14 THEN 'closed' WHEN i % 20 < 17 THEN 'done' WHEN i % 20 = 17 THEN 'withdrawn' WHEN i % 20 = 18 THEN 'refused' ELSE 'lapsed' END AS state FROM n;"
        local id="'00000000-0000-7000-8000-' || $PAD12"
        local at
        at=$(AGO "n.i * 631")
        copy_rows requests "bench_n n JOIN bench_tmpl t ON t.t = n.t JOIN requests src ON src.id = t.id" \
            "id=$id" \
            "reference='CMH-' || substr($at, 1, 4) || '-' || $(PAD6 "500000 + n.i")" \
            "idempotency_key='bulk-' || n.i" \
            "follow_token_hash='bulk-' || n.i" \
            "state=n.state" \
            "applicant_name=src.applicant_name || ' ' || n.i" \
            "email='applicant' || n.i || '@example.be'" \
            "house_number=CAST(1 + n.i % 180 AS TEXT)" \
            "wished_from=CASE WHEN n.i <= $wn THEN $(TODAY_PLUS "n.i % 120") ELSE $(DAY_PLUS "$at" 40) END" \
            "wished_to=CASE WHEN n.i <= $wn THEN $(TODAY_PLUS "60 + n.i % 120") ELSE $(DAY_PLUS "$at" 100) END" \
            "submitted_at=$at" "updated_at=$at" "assigned_to=NULL" "change_requested_at=NULL"
        copy_rows request_services "bench_n n JOIN bench_tmpl t ON t.t = n.t JOIN request_services src ON src.request_id = t.id" \
            "request_id=$id"
        copy_rows request_parties "bench_n n JOIN bench_tmpl t ON t.t = n.t JOIN request_parties src ON src.request_id = t.id" \
            "request_id=$id"
        echo "DROP TABLE IF EXISTS bench_e; CREATE TABLE bench_e AS SELECT ROW_NUMBER() OVER (ORDER BY e.id) AS k, e.id FROM request_events e JOIN bench_tmpl t ON t.id = e.request_id;"
        copy_rows request_events "bench_n n JOIN bench_tmpl t ON t.t = n.t JOIN request_events src ON src.request_id = t.id JOIN bench_e k ON k.id = src.id" \
            "id='00000000-0000-7002-' || $(PAD4 k.k) || '-' || $PAD12" "request_id=$id" "at=$at"
        # The operators' answers (not for incomplete requests).
        echo "DROP TABLE IF EXISTS bench_a; CREATE TABLE bench_a AS SELECT ROW_NUMBER() OVER (ORDER BY a.id) AS k, a.id FROM assessments a JOIN bench_tmpl t ON t.id = a.request_id;"
        local aid="'00000000-0000-7001-' || $(PAD4 k.k) || '-' || $PAD12"
        copy_rows assessments "bench_n n JOIN bench_tmpl t ON t.t = n.t JOIN assessments src ON src.request_id = t.id JOIN bench_a k ON k.id = src.id WHERE n.state <> 'incomplete'" \
            "id=$aid" "request_id=$id" "created_at=$at" "updated_at=$at" "next_attempt_at=$at" \
            "due_at=$(DAY_PLUS "$at" 7) || 'T16:00:00.000000Z'" "locked_until=NULL"
        copy_rows assessment_versions "bench_n n JOIN bench_tmpl t ON t.t = n.t JOIN assessments a ON a.request_id = t.id JOIN bench_a k ON k.id = a.id JOIN assessment_versions src ON src.assessment_id = a.id WHERE n.state <> 'incomplete'" \
            "assessment_id=$aid" "created_at=$at"
        # Joint days of the works done: each operator's crew serving the commune, 30 days after
        # filing.
        echo "INSERT INTO reservations (request_id, crew_id, service, day, created_at, done_at)
              SELECT request_id, crew_id, service, day, created_at, day || 'T16:00:00.000000Z' FROM (
                SELECT s.request_id, s.service, r.submitted_at AS created_at, $(DAY_PLUS r.submitted_at 30) AS day,
                       (SELECT c.id FROM crews c JOIN crew_communes cc ON cc.crew_id = c.id
                         WHERE c.organisation_id = s.operator_id AND c.service = s.service
                           AND cc.commune_nis = r.commune_nis ORDER BY c.id LIMIT 1) AS crew_id
                FROM request_services s JOIN requests r ON r.id = s.request_id
                WHERE r.id LIKE '00000000-0000-7000-8000-%' AND r.state IN ('done', 'closed')
                  AND s.operator_id IS NOT NULL) x
              WHERE crew_id IS NOT NULL;"
        echo "DROP TABLE bench_tmpl; DROP TABLE bench_n; DROP TABLE bench_e; DROP TABLE bench_a;"
        if [ "$ENGINE" = sqlite ]; then echo "COMMIT;"; fi
    } >"$f"
    local t0=$SECONDS
    sql_file "$f"
    # Written behind the product's back: its read models (queue counts, nuisance figures) are
    # recomputed from the stored data, as after any bulk load.
    "$BIN" --data-dir "$WORK/$ENGINE/data" --database-url "$product_url" rebuild-summaries \
        >"$WORK/$ENGINE/rebuild-summaries.log" 2>&1 ||
        die "rebuild-summaries failed (log: $WORK/$ENGINE/rebuild-summaries.log)"
    # PostgreSQL's autovacuum would analyse the new rows soon after: done now, so that it does
    # not happen during a measurement. SQLite: left as the product leaves it (no ANALYZE).
    if [ "$ENGINE" = postgres ]; then sql "ANALYZE" >/dev/null; fi
    log "  bulk insert of $add requests ($wn waiting) and rebuild of the read models in $((SECONDS - t0)) s"
}

# --- report -------------------------------------------------------------------------------

report() {
    local cpu
    cpu=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1)
    echo
    echo "Web pages under load — $(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) cores ($cpu)"
    echo "load average at the end: $(cut -d' ' -f1-3 /proc/loadavg) (other work on the machine weighs on the numbers)"
    echo "wrk -t$THREADS -c$CONNS -d$DURATION (warm-up $WARMUP); plan: -t1 -c1 -d${PLAN_DURATION:-20s}; large-data pages with $TOTAL requests ($WAITING waiting for a day)"
    echo
    awk -F'\t' '
        function target(group, name) {
            if (group == "page") return "ratio >= 0.5 x GET by key, p99 <= 20 ms"
            if (group == "filing") return "ratio >= 0.8 x insert, p99 <= 50 ms"
            if (group == "large") return "p99 <= 50 ms"
            if (group == "plan") return "p99 <= 2000 ms"
            if (group == "single") return "(alone: time of one page)"
            return ""
        }
        { rows[NR] = $0; if ($2 == "anchor") { anchor[$1, $3] = $5 } }
        END {
            printf "| %-8s | %-28s | %4s | %9s | %9s | %6s | %-40s | %-6s |\n", "database", "endpoint", "conn", "req/s", "p99 ms", "ratio", "target", "result"
            printf "|----------|------------------------------|------|-----------|-----------|--------|------------------------------------------|--------|\n"
            for (i = 1; i <= NR; i++) {
                split(rows[i], f, "\t")
                engine = f[1]; group = f[2]; name = f[3]; rps = f[5] + 0; p99 = f[6] + 0
                base = (group == "filing") ? anchor[engine, "anchor insert"] : anchor[engine, "anchor GET by key"]
                ratio = (group == "anchor" || group == "single" || group == "plan" || base == 0) ? "" : sprintf("%.2f", rps / base)
                result = "-"
                if (group == "page") result = (rps >= 0.5 * base && p99 <= 20) ? "PASS" : "FAIL"
                if (group == "filing") result = (rps >= 0.8 * base && p99 <= 50) ? "PASS" : "FAIL"
                if (group == "large") result = (p99 <= 50) ? "PASS" : "FAIL"
                if (group == "plan") result = (p99 <= 2000) ? "PASS" : "FAIL"
                if (f[8] + 0 > 0) result = result " (" f[8] " socket errors)"
                p99s = (p99 >= 999999) ? "none done" : sprintf("%.2f", p99)
                printf "| %-8s | %-28s | %4s | %9.1f | %9s | %6s | %-40s | %-6s |\n", engine, name, f[4], rps, p99s, ratio, target(group, name), result
            }
        }' "$RESULTS"
}

for engine in $ENGINES; do
    bench_engine "$engine"
done
report | tee "$WORK/report.md"
cp "$WORK/report.md" "$OUT/last-report.md"
echo
echo "results: $WORK (report also in $OUT/last-report.md)"
