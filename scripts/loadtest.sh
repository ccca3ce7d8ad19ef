#!/usr/bin/env bash
# Load test of `iamspect serve` on loopback (see docs/performance.md, "HTTP service").
#
# Builds in release, starts `iamspect serve` on 127.0.0.1 on a free port, sends the realistic
# request (crates/iamspect-core/benches/fixtures/realistic/) with the loadtest example at a few
# concurrency levels, the same body every time; then, at each level of VARY_CONNECTIONS, with a
# unique body per request for each mode of VARY (see the example's documentation: `request`
# varies the caller, object key, source IP and user agent; `policy` also one policy; `policies`
# every policy); then with `wrk` if it is installed; stops the server, and prints the results.
# Every run is bounded in requests AND time. Each run also prints the CPU time the server and the
# generator used per request.
#
#   scripts/loadtest.sh                          # defaults below
#   CONNECTIONS="8 32" VARY=request DURATION=10 REQUESTS=500000 scripts/loadtest.sh
#   CONNECTIONS=16 VARY=request BY_REFERENCE=1 scripts/loadtest.sh   # inline vs by reference
#
# Environment: CONNECTIONS (concurrency levels, default "4 16 64"), VARY (varied-body modes,
# default "request policy policies"; empty for none), VARY_CONNECTIONS (their levels, default
# "16 64"), DURATION (seconds per run, default 8, at most 60), REQUESTS (requests per run at most,
# default 1000000), THREADS (load generator threads, default 2), RUST_LOG for the server
# (default warn: per-request info logs cost throughput), SERVER_BIN (the `iamspect` binary to
# serve with, default the one built here: set it to an older build to compare), BY_REFERENCE
# (1: after each `--vary request` or `description` run, the same run again with the policies
# registered once and named by id, `--by-reference`, so the two compare back to back).
set -euo pipefail

cd "$(dirname "$0")/.."
CONNECTIONS=${CONNECTIONS:-"4 16 64"}
VARY=${VARY-"request policy policies"}
VARY_CONNECTIONS=${VARY_CONNECTIONS:-"16 64"}
DURATION=${DURATION:-8}
REQUESTS=${REQUESTS:-1000000}
THREADS=${THREADS:-2}
if [ "$DURATION" -gt 60 ]; then echo "DURATION is capped at 60 s" >&2; exit 2; fi

cargo build --release -q -p iamspect --bin iamspect
cargo build --release -q -p iamspect-server --example loadtest
BIN=${SERVER_BIN:-target/release/iamspect}
LOADTEST=target/release/examples/loadtest

PORT=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
ADDR=127.0.0.1:$PORT
TMP=$(mktemp -d)
RUST_LOG=${RUST_LOG:-warn} "$BIN" serve --bind "$ADDR" 2>"$TMP/server.log" &
SERVER=$!
cleanup() { kill "$SERVER" 2>/dev/null || true; wait "$SERVER" 2>/dev/null || true; rm -rf "$TMP"; }
trap cleanup EXIT

for _ in $(seq 100); do
  if (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null; then break; fi
  sleep 0.1
done

echo "# machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), load average $(cut -d' ' -f1-3 /proc/loadavg)"
echo "# server: iamspect serve --bind $ADDR (RUST_LOG=${RUST_LOG:-warn}); the load generator shares the same cores"
STATUS=0
for c in $CONNECTIONS; do
  echo "## loadtest: $c connections"
  "$LOADTEST" --addr "$ADDR" --connections "$c" --requests "$REQUESTS" --duration "$DURATION" --threads "$THREADS" \
    --server-pid "$SERVER" || STATUS=1
done
for mode in $VARY; do
  for c in $VARY_CONNECTIONS; do
    echo "## loadtest: $c connections, a unique body per request (--vary $mode)"
    "$LOADTEST" --addr "$ADDR" --connections "$c" --requests "$REQUESTS" --duration "$DURATION" --threads "$THREADS" \
      --server-pid "$SERVER" --vary "$mode" || STATUS=1
    if [ "${BY_REFERENCE:-0}" = 1 ] && { [ "$mode" = request ] || [ "$mode" = description ]; }; then
      echo "## loadtest: $c connections, a unique body per request (--vary $mode), policies by reference"
      "$LOADTEST" --addr "$ADDR" --connections "$c" --requests "$REQUESTS" --duration "$DURATION" \
        --threads "$THREADS" --server-pid "$SERVER" --vary "$mode" --by-reference || STATUS=1
    fi
  done
done
c=$(echo "$CONNECTIONS" | awk '{print $2 ? $2 : $1}')

if command -v wrk >/dev/null; then
  "$LOADTEST" --print-body >"$TMP/body.json"
  cat >"$TMP/post.lua" <<LUA
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
local f = io.open("$TMP/body.json", "r")
wrk.body = f:read("*a"):gsub("%s+\$", "")
f:close()
local threads = {}
function setup(thread) table.insert(threads, thread) end
function init(args) bad = 0 end
function response(status, headers, body)
  if status ~= 200 or not body:find('"decision":"allowed"', 1, true) then bad = bad + 1 end
end
function done(summary, latency, requests)
  local total = 0
  for _, t in ipairs(threads) do total = total + t:get("bad") end
  io.write(string.format("wrong answers (not 200 allowed): %d\n", total))
end
LUA
  echo "## wrk: 1 thread, $c connections, $DURATION s"
  timeout $((DURATION + 30)) wrk -t1 -c"$c" -d"${DURATION}s" --latency -s "$TMP/post.lua" "http://$ADDR/v1/authorize" || STATUS=1
else
  echo "## wrk: not installed (apt-get install -y wrk), skipped"
fi
exit $STATUS
