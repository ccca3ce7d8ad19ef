#!/usr/bin/env python3
"""An independent reader of `iamspect export`: reads the Parquet tables with pyarrow (Hive
partitions, `account` as a string), checks the manifest and the files' schema version, picks
held-out questions from the `access` rows and compares each with `iamspect who-can --format json`
on the same account data.

    python3 scripts/export-check-pyarrow.py --iamspect target/debug/iamspect --account-data DUMP --export DIR

Exit 0 when every answer matches, 1 when one does not, 3 when pyarrow is not installed.
"""
import argparse
import json
import os
import subprocess
import sys

NOW = "aws:CurrentTime=2026-06-01T12:00:00Z"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--iamspect", required=True)
    ap.add_argument("--account-data", required=True)
    ap.add_argument("--export", required=True)
    ap.add_argument("--questions", type=int, default=8)
    args = ap.parse_args()
    try:
        import pyarrow as pa
        import pyarrow.dataset as ds
        import pyarrow.parquet as pq
    except ImportError:
        print("pyarrow is not installed (python3 -m pip install pyarrow)", file=sys.stderr)
        return 3
    manifest = json.load(open(os.path.join(args.export, "_iamspect.json")))
    assert manifest["_schema_version"] == 1, manifest["_schema_version"]
    partitioning = ds.partitioning(pa.schema([("account", pa.string())]), flavor="hive")
    access = ds.dataset(os.path.join(args.export, "access"), format="parquet", partitioning=partitioning).to_table()
    principals = ds.dataset(os.path.join(args.export, "principals"), format="parquet", partitioning=partitioning).to_table()
    assert access.num_rows == manifest["tables"]["access"]["rows"], (access.num_rows, manifest["tables"]["access"])
    assert principals.num_rows == manifest["tables"]["principals"]["rows"]
    # Every file says its schema version.
    for root, _, files in os.walk(args.export):
        for f in files:
            if f.endswith(".parquet"):
                meta = pq.read_metadata(os.path.join(root, f)).metadata
                assert meta[b"iamspect.schema_version"] == b"1", (root, meta)
    rows = access.to_pylist()
    questions = sorted({(r["account"], r["action"], r["resource"], r["resource_account"]) for r in rows})
    n = min(args.questions, len(questions))
    picked = [questions[i * len(questions) // n] for i in range(n)]
    failures = 0
    for account, action, resource, resource_account in picked:
        exported = {r["principal"]: (r["conditional"], sorted(r["granted_by"]))
                    for r in rows if (r["account"], r["action"], r["resource"]) == (account, action, resource)}
        cmd = [args.iamspect, "who-can", "--account-data", args.account_data, "--action", action,
               "--resource", resource, "--context", NOW, "--format", "json"]
        if resource_account:
            cmd += ["--resource-account", resource_account]
        out = subprocess.run(cmd, capture_output=True, text=True)
        if out.returncode > 1:
            print(f"who-can failed for {action} on {resource}: {out.stderr}", file=sys.stderr)
            return 1
        answer = json.loads(out.stdout)
        in_account = bool(resource_account) or resource.split(":")[4:5] == [account]
        expected = {}
        for a in answer["allowed"]:
            loaded = a["kind"] in ("user", "role", "root")
            if (loaded and a["principal"].split(":")[4] == account) or (not loaded and in_account):
                expected[a["principal"]] = (a["conditional"], sorted(a["grantedBy"]))
        if exported != expected:
            failures += 1
            print(f"MISMATCH account {account} {action} on {resource}:\n  export  {exported}\n  who-can {expected}", file=sys.stderr)
    print(f"pyarrow {pa.__version__}: {access.num_rows} access rows read; {n} held-out questions, {failures} mismatches")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
