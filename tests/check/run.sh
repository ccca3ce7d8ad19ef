#!/usr/bin/env bash
# Runs every check of manifest.json through the iamspect binary, compares the result, and decides
# each counterexample again with `iamspect eval` (it must say `allowed`).
# Usage: tests/check/run.sh [path/to/iamspect]   (default: target/debug/iamspect)
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
bin="${1:-target/debug/iamspect}"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
python3 - "$here" "$bin" "$tmp" <<'PY'
import json, subprocess, sys
here, bin, tmp = sys.argv[1:4]
m = json.load(open(f"{here}/manifest.json"))
failed = 0
for i, c in enumerate(m["checks"]):
    cmd = [bin, c["command"]]
    if c["command"] == "check-no-new-access":
        cmd += [f"{here}/{c['new']}", "--existing", f"{here}/{c['existing']}", "--policy-type", c["policyType"]]
    elif c["command"] == "check-access-not-granted":
        cmd += [f"{here}/{c['policy']}", "--actions", ",".join(c["actions"]), "--policy-type", c["policyType"]]
        if c.get("resources"):
            cmd += ["--resources", ",".join(c["resources"])]
    else:
        cmd += [f"{here}/{c['policy']}", "--resource-type", c["resourceType"]]
        if c.get("organization"):
            cmd += ["--organization", c["organization"]]
    out = json.loads(subprocess.run(cmd + ["--format", "json"], capture_output=True, text=True).stdout)
    ok = out["result"] == c["result"]
    if out.get("counterexamplesCatalogued") is False:
        print(f"note: check {i}: counterexamples outside AWS's catalogue; not decided again by iamspect eval")
    for j, case in enumerate(out["counterexamples"] if out.get("counterexamplesCatalogued", True) else []):
        path = f"{tmp}/{i}-{j}.json"
        json.dump(case, open(path, "w"))
        ev = subprocess.run([bin, "eval", path, "--format", "json"], capture_output=True, text=True)
        decision = json.loads(ev.stdout or "{}")
        text = json.dumps(decision)
        if '"allowed"' not in text or ev.returncode != 0:
            ok = False
            print(f"counterexample {j} of check {i} is not allowed by iamspect eval: {ev.stdout[:300]} {ev.stderr[:300]}")
    print(("ok  " if ok else "FAIL"), i, c["command"], c.get("new", c.get("policy")), out["result"])
    failed += not ok
print(f"{len(m['checks']) - failed} passed, {failed} failed")
sys.exit(1 if failed else 0)
PY
