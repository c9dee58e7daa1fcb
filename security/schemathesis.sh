#!/usr/bin/env bash
# Fuzzes the JSON API against its OpenAPI document (generated from the handlers and their types: src/api/doc.rs) with schemathesis:
# starts the app on a free local port with a fresh SQLite database and the demo data, signs in
# as staff for the session cookie, and lets schemathesis generate requests for every operation,
# as the coordinator, as a commune and as an operator's system with its API key. Fails on any
# 5xx and on any answer the document does not describe (status, content type, headers, body
# schema). The document's links (the queue → a
# request → its offer) let the stateful phase follow real ids; an offer is sent first so there
# is one to follow. Bounded: examples per operation and a time budget per run.
#
#   security/schemathesis.sh            # uses $CARGO_TARGET_DIR (default /var/tmp/cmh-target)
#   SCHEMATHESIS_MAX_EXAMPLES=200 SCHEMATHESIS_MAX_TIME=300 security/schemathesis.sh
set -euo pipefail
cd "$(dirname "$0")/.."

SCHEMATHESIS_VERSION=4.32.5
MAX_EXAMPLES="${SCHEMATHESIS_MAX_EXAMPLES:-60}"
MAX_TIME="${SCHEMATHESIS_MAX_TIME:-45}"
SEED="${SCHEMATHESIS_SEED:-20261202}"
# CPython before 3.11.8 can fail inside `ast.parse` ("AST constructor recursion depth
# mismatch", fixed upstream) when hypothesis describes its filters: the newest Python here runs
# the fuzzer.
PYTHON=python3
for candidate in python3 python3.13 python3.12 \
  $(ls -d "${PYENV_ROOT:-$HOME/.pyenv}"/versions/3.1[2-9]*/bin/python3 2>/dev/null | sort -V -r); do
  if "$candidate" -c 'import sys; v = sys.version_info[:3]; sys.exit(0 if v >= (3, 12, 2) or (3, 11, 8) <= v < (3, 12) else 1)' 2>/dev/null; then
    PYTHON="$candidate"
    break
  fi
done
PYTHON_VERSION="$("$PYTHON" -c 'import sys; print("%d.%d" % sys.version_info[:2])')"
VENV="/var/tmp/cmh-schemathesis-$SCHEMATHESIS_VERSION-py$PYTHON_VERSION"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-/var/tmp/cmh-target}"

if [ ! -x "$VENV/bin/schemathesis" ]; then
  echo "-- installing schemathesis $SCHEMATHESIS_VERSION into $VENV"
  rm -rf "$VENV"
  "$PYTHON" -m venv "$VENV"
  "$VENV/bin/pip" install --quiet --disable-pip-version-check "schemathesis==$SCHEMATHESIS_VERSION"
fi

# The binary the integration tests build (the same features as the tests: no second build
# of the dependencies).
cargo test --locked --no-run --quiet 2>/dev/null || cargo test --locked --no-run
BINARY="$CARGO_TARGET_DIR/debug/connect-my-home"

WORK="$(mktemp -d /var/tmp/cmh-schemathesis-run.XXXXXX)"
APP_PID=""
stop_app() {
  if [ -n "$APP_PID" ] && kill -0 "$APP_PID" 2>/dev/null; then
    kill "$APP_PID"
    wait "$APP_PID" 2>/dev/null || true
  fi
  rm -rf "$WORK"
}
trap stop_app EXIT

PORT="$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
BASE="http://127.0.0.1:$PORT"
# The API is served at the address it is reached by, over plain HTTP on loopback: cookies
# without `Secure`, or curl would not send them back. The fuzzer calls from one address at
# machine speed: the per-address limits are raised (they are tested in tests/api/limits.rs).
CMH_BIND="127.0.0.1:$PORT" CMH_BASE_URL="$BASE" CMH_DATA_DIR="$WORK/data" CMH_SEED_DEMO=true \
  CMH_MAIL_TRANSPORT=file CMH_SECURE_COOKIES=false RUST_LOG=warn \
  CMH_ESTIMATES_PER_ADDRESS_PER_MINUTE=1000000000 CMH_SIGN_IN_ATTEMPTS_PER_ADDRESS=1000000000 \
  "$BINARY" serve >"$WORK/app.log" 2>&1 &
APP_PID=$!

for _ in $(seq 1 120); do
  if curl -fsS -o /dev/null "$BASE/api/v1/openapi.json" 2>/dev/null; then break; fi
  if ! kill -0 "$APP_PID" 2>/dev/null; then
    echo "the app stopped:" >&2
    cat "$WORK/app.log" >&2
    exit 1
  fi
  sleep 0.5
done
curl -fsS -o /dev/null "$BASE/api/v1/openapi.json"

# A staff session, as a browser gets one: the sign-in form's CSRF token, then the cookie.
session_of() {
  local email="$1" jar="$WORK/$1.cookies" token
  token="$(curl -fsS -c "$jar" -b "$jar" "$BASE/login" \
    | sed -n 's/.*name="csrf_token" value="\([^"]*\)".*/\1/p' | head -n1)"
  curl -fsS -o /dev/null -c "$jar" -b "$jar" \
    --data-urlencode "csrf_token=$token" --data-urlencode "email=$email" \
    --data-urlencode "password=demo-connect-2026" --data-urlencode "next=/" "$BASE/login"
  awk '$6 == "cmh_session" { print $7 }' "$jar"
}

hidden_field() {
  sed -n "s/.*name=\"$1\" value=\"\([^\"]*\)\".*/\1/p" | head -n1
}

# An offer on the newest request of the officer's queue, sent from the officer's page: the
# document's links (the queue's first request → its file → its newest offer) then lead to
# real data.
julien_session="$(session_of julien@ores.demo)"
jar="$WORK/julien@ores.demo.cookies"
newest="$(curl -fsS -b "$jar" "$BASE/api/v1/requests" \
  | python3 -c 'import json, sys; print(json.load(sys.stdin)[0]["id"])')"
for _ in $(seq 1 60); do
  state="$(curl -fsS -b "$jar" "$BASE/api/v1/requests/$newest" \
    | python3 -c 'import json, sys; print(json.load(sys.stdin)["state"])')"
  [ "$state" = "assessed" ] && break
  sleep 0.5
done
page="$(curl -fsS -b "$jar" -c "$jar" "$BASE/backoffice/requests/$newest")"
sent="$(curl -sS -o /dev/null -w '%{http_code}' -b "$jar" -c "$jar" \
  --data-urlencode "csrf_token=$(hidden_field csrf_token <<<"$page")" \
  --data-urlencode "key=$(hidden_field key <<<"$page")" \
  --data-urlencode "reason=" "$BASE/backoffice/requests/$newest/offer")"
if [ "$sent" != 303 ]; then
  echo "the demo offer was not sent ($sent, request $state)" >&2
  exit 1
fi

# ORES electricity's system: a read-write API key its administrator creates on its page (the
# secret is shown once), to answer its assessments (docs/API.md).
session_of tarifs@ores.demo >/dev/null
jar="$WORK/tarifs@ores.demo.cookies"
page="$(curl -fsS -b "$jar" -c "$jar" "$BASE/operator/api-keys")"
ores_key="$(curl -fsS -b "$jar" -c "$jar" \
  --data-urlencode "csrf_token=$(hidden_field csrf_token <<<"$page")" \
  --data-urlencode "name=schemathesis" --data-urlencode "scope=read_write" \
  --data-urlencode "expires_on=" "$BASE/operator/api-keys" \
  | sed -n 's/.*<code id="api-key-secret">\([^<]*\)<\/code>.*/\1/p' | head -n1)"
if [ -z "$ores_key" ]; then
  echo "no API key for ORES electricity" >&2
  exit 1
fi

status=0
for email in julien@ores.demo travaux@namur.demo api-key@ores-electricity; do
  if [ "$email" = julien@ores.demo ]; then
    auth="Cookie: cmh_session=$julien_session"
  elif [ "$email" = api-key@ores-electricity ]; then
    auth="Authorization: Bearer $ores_key"
  else
    auth="Cookie: cmh_session=$(session_of "$email")"
  fi
  if [ "$auth" = "Cookie: cmh_session=" ]; then
    echo "no session for $email" >&2
    exit 1
  fi
  echo "-- schemathesis as $email: at most $MAX_EXAMPLES examples per operation, ${MAX_TIME}s"
  # Run from the scratch directory: schemathesis keeps a cache in its working directory.
  (cd "$WORK" && "$VENV/bin/schemathesis" --no-color run "$BASE/api/v1/openapi.json" \
    --url "$BASE/api/v1" \
    --header "$auth" \
    --checks not_a_server_error,status_code_conformance,content_type_conformance,response_headers_conformance,response_schema_conformance \
    --phases examples,coverage,fuzzing,stateful \
    --max-examples "$MAX_EXAMPLES" \
    --max-time "$MAX_TIME" \
    --seed "$SEED" \
    --workers 2 \
    --request-timeout 10 \
    --generation-database none \
    --report junit --report-dir "$WORK/report-$email") \
    || status=$?
done

if [ "$status" -ne 0 ]; then
  echo "-- the app's log:" >&2
  grep -E 'ERROR|panicked' "$WORK/app.log" | tail -n 40 >&2 || true
fi
exit "$status"
