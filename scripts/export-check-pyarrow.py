#!/usr/bin/env python3
"""An independent reader of `iamspect export`: reads the Parquet tables with pyarrow (Hive
partitions, `account` as a string), checks the manifest and the files' schema version, picks
held-out questions from the `access` rows and compares each with `iamspect who-can --format json`
on the same account data; reads the `trust` rows of held-out roles and compares them with who-can
for each assume action; reads the `paths` rows and compares them with `iamspect paths --format json`.

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
    assert manifest["_schema_version"] == 2, manifest["_schema_version"]
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
                assert meta[b"iamspect.schema_version"] == b"2", (root, meta)
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
    failures += check_trust(args, ds, partitioning, manifest, principals)
    failures += check_paths(args, ds, partitioning, manifest)
    print(f"pyarrow {pa.__version__}: {access.num_rows} access rows read; {n} held-out questions, {failures} mismatches")
    return 1 if failures else 0


def table(args, ds, partitioning, manifest, name):
    folder = os.path.join(args.export, name)
    if not os.path.isdir(folder):
        assert manifest["tables"][name]["rows"] == 0, (name, manifest["tables"][name])
        return []
    t = ds.dataset(folder, format="parquet", partitioning=partitioning).to_table()
    assert t.num_rows == manifest["tables"][name]["rows"], (name, t.num_rows, manifest["tables"][name])
    return t.to_pylist()


def check_trust(args, ds, partitioning, manifest, principals):
    """The trust rows of held-out roles equal who-can for each assume action on the role."""
    rows = table(args, ds, partitioning, manifest, "trust")
    roles = sorted({(r["account"], r["arn"]) for r in principals.to_pylist() if r["type"] == "role"})
    n = min(args.questions, len(roles))
    failures = 0
    for account, role in [roles[i * len(roles) // n] for i in range(n)]:
        for action in ("sts:AssumeRole", "sts:AssumeRoleWithWebIdentity", "sts:AssumeRoleWithSAML"):
            exported = {r["principal"]: (r["principal_type"], r["conditional"], sorted(r["granted_by"]))
                        for r in rows if r["role"] == role and r["action"] == action and r["account"] == account}
            out = subprocess.run([args.iamspect, "who-can", "--account-data", args.account_data, "--action", action,
                                  "--resource", role, "--context", NOW, "--format", "json"], capture_output=True, text=True)
            if out.returncode > 1:
                print(f"who-can failed for {action} on {role}: {out.stderr}", file=sys.stderr)
                return 1
            expected = {a["principal"]: (a["kind"], a["conditional"], sorted(a["grantedBy"]))
                        for a in json.loads(out.stdout)["allowed"]}
            if exported != expected:
                failures += 1
                print(f"MISMATCH trust {action} on {role}:\n  export  {exported}\n  who-can {expected}", file=sys.stderr)
    print(f"trust: {len(rows)} rows read; {n} held-out roles, {failures} mismatches")
    return failures


def check_paths(args, ds, partitioning, manifest):
    """The paths rows equal `iamspect paths --format json`: each principal's flags and steps."""
    rows = table(args, ds, partitioning, manifest, "paths")
    out = subprocess.run([args.iamspect, "paths", "--account-data", args.account_data, "--context", NOW,
                          "--format", "json"], capture_output=True, text=True)
    if out.returncode != 0:
        print(f"paths failed: {out.stderr}", file=sys.stderr)
        return 1
    failures = 0
    listed = json.loads(out.stdout)["principals"]
    for p in listed:
        mine = sorted((r for r in rows if r["principal"] == p["arn"]), key=lambda r: r["step"] or 0)
        steps = (p["paths"][0]["steps"] if p["paths"] else [])
        got = [(r["is_admin"], r["reaches_admin"], r["step"], r["from"], r["to"], r["technique"],
                [json.loads(q) for q in r["requests"]], list(r["conditions"])) for r in mine]
        want = [(p["isAdmin"], p["reachesAdmin"], i + 1, s["from"], s["to"], s["technique"], s["requests"], s["conditions"])
                for i, s in enumerate(steps)] or [(p["isAdmin"], p["reachesAdmin"], None, None, None, None, [], [])]
        if got != want:
            failures += 1
            print(f"MISMATCH paths of {p['arn']}:\n  export {got}\n  paths  {want}", file=sys.stderr)
    if len({r["principal"] for r in rows}) != len(listed):
        failures += 1
        print("MISMATCH paths: the principals differ", file=sys.stderr)
    print(f"paths: {len(rows)} rows read; {len(listed)} principals, {failures} mismatches")
    return failures


if __name__ == "__main__":
    sys.exit(main())
