#!/usr/bin/env bash
# End-to-end tests of the web page: builds iamspect (unless IAMSPECT_BIN names a binary), starts
# `iamspect serve` on a free loopback port, waits for /healthz, runs web/e2e's tests in Debian's
# headless Chromium with Node's test runner, and always stops the server. Screenshots go to
# target/e2e-artifacts/. Needs /usr/bin/chromium (or CHROMIUM=...) and `npm ci` in web/e2e.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)

bin=${IAMSPECT_BIN:-}
if [ -z "$bin" ]; then
  cargo build -p iamspect --locked
  bin="$root/target/debug/iamspect"
fi
[ -x "$bin" ] || { echo "e2e: no iamspect binary at $bin" >&2; exit 2; }
[ -d web/e2e/node_modules/playwright-core ] || { echo "e2e: run 'npm ci' in web/e2e first" >&2; exit 2; }
chromium=${CHROMIUM:-/usr/bin/chromium}
[ -x "$chromium" ] || { echo "e2e: no Chromium at $chromium (apt-get install chromium)" >&2; exit 2; }

artifacts="$root/target/e2e-artifacts"
mkdir -p "$artifacts"
rm -f "$artifacts"/*.png

# A free loopback port, and the health check, with Node (needed for the tests anyway).
port=$(node -e 'const s=require("net").createServer();s.listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})')
url="http://127.0.0.1:$port"
log="$artifacts/server.log"

"$bin" serve --bind "127.0.0.1:$port" >"$log" 2>&1 &
server=$!
stop() {
  if kill -0 "$server" 2>/dev/null; then
    kill "$server" 2>/dev/null || true
    wait "$server" 2>/dev/null || true
  fi
}
trap stop EXIT INT TERM

ready=0
for _ in $(seq 1 100); do
  if node -e 'fetch(process.argv[1]).then(r=>process.exit(r.ok?0:1),()=>process.exit(1))' "$url/healthz"; then
    ready=1
    break
  fi
  kill -0 "$server" 2>/dev/null || break
  sleep 0.1
done
if [ "$ready" != 1 ]; then
  echo "e2e: the server did not become healthy at $url; its log:" >&2
  cat "$log" >&2
  exit 1
fi
echo "e2e: iamspect serve at $url (pid $server)"

# A second server, with the real dump's account data, for the escalation paths page.
lab="$root/../shared/corpora/gaad/cloudsplaining/examples_files_example.json"
paths_url=""
if [ -f "$lab" ]; then
  paths_port=$(node -e 'const s=require("net").createServer();s.listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})')
  paths_url="http://127.0.0.1:$paths_port"
  "$bin" serve --bind "127.0.0.1:$paths_port" --account-data "$lab" >"$artifacts/server-paths.log" 2>&1 &
  paths_server=$!
  stop_both() {
    stop
    if kill -0 "$paths_server" 2>/dev/null; then
      kill "$paths_server" 2>/dev/null || true
      wait "$paths_server" 2>/dev/null || true
    fi
  }
  trap stop_both EXIT INT TERM
  for _ in $(seq 1 100); do
    if node -e 'fetch(process.argv[1]).then(r=>process.exit(r.ok?0:1),()=>process.exit(1))' "$paths_url/healthz"; then
      break
    fi
    kill -0 "$paths_server" 2>/dev/null || { echo "e2e: the paths server stopped; its log:" >&2; cat "$artifacts/server-paths.log" >&2; exit 1; }
    sleep 0.1
  done
  echo "e2e: iamspect serve --account-data at $paths_url (pid $paths_server)"
fi

status=0
(cd web/e2e && IAMSPECT_URL="$url" IAMSPECT_PATHS_URL="$paths_url" CHROMIUM="$chromium" E2E_ARTIFACTS="$artifacts" node --test --test-concurrency=1 tests/) || status=$?
echo "e2e: screenshots in $artifacts"
exit "$status"
