#!/usr/bin/env python3
"""Writes a synthetic `aws iam get-account-authorization-details` dump (and an organization file)
for benchmarks: N principals over A accounts, realistic policies, deterministic for a seed.

    python3 scripts/gen-synthetic-dump.py --principals 10000 --accounts 10 --out target/synthetic
    python3 scripts/gen-synthetic-dump.py --target-mb 100 --out target/synthetic-100mb

Writes OUT/gaad.json and OUT/organization.json. With --per-account, one dump per account instead
(OUT/ACCOUNT/gaad.json), written account by account, for organizations of thousands of accounts:

    python3 scripts/gen-synthetic-dump.py --accounts 1000 --principals 100000 --managed 20 --per-account --out target/synthetic-org
"""
import argparse
import json
import os
import random

SERVICES = {
    "s3": ["GetObject", "PutObject", "DeleteObject", "ListBucket", "GetBucketPolicy", "PutBucketPolicy"],
    "ec2": ["RunInstances", "DescribeInstances", "TerminateInstances", "CreateTags", "StopInstances"],
    "iam": ["PassRole", "GetRole", "ListRoles", "CreateUser", "AttachRolePolicy"],
    "dynamodb": ["GetItem", "PutItem", "Query", "Scan", "DeleteItem"],
    "kms": ["Decrypt", "Encrypt", "GenerateDataKey", "DescribeKey"],
    "lambda": ["InvokeFunction", "CreateFunction", "UpdateFunctionCode"],
    "sqs": ["SendMessage", "ReceiveMessage", "DeleteMessage"],
    "logs": ["PutLogEvents", "CreateLogStream", "GetLogEvents"],
}
TEAMS = ["payments", "search", "ml", "platform", "data", "web", "mobile", "security"]


def statement(rng, account, i):
    svc = rng.choice(list(SERVICES))
    kind = rng.random()
    if kind < 0.15:
        action = f"{svc}:*"
    elif kind < 0.3:
        action = f"{svc}:{rng.choice(['Get', 'List', 'Describe', 'Put'])}*"
    else:
        action = [f"{svc}:{a}" for a in rng.sample(SERVICES[svc], k=min(3, len(SERVICES[svc])))]
    team = rng.choice(TEAMS)
    resource = {
        "s3": f"arn:aws:s3:::{team}-bucket-{i % 50}/*",
        "ec2": f"arn:aws:ec2:*:{account}:instance/*",
        "iam": f"arn:aws:iam::{account}:role/{team}-*",
        "dynamodb": f"arn:aws:dynamodb:eu-west-1:{account}:table/{team}-*",
        "kms": f"arn:aws:kms:eu-west-1:{account}:key/*",
        "lambda": f"arn:aws:lambda:eu-west-1:{account}:function:{team}-*",
        "sqs": f"arn:aws:sqs:eu-west-1:{account}:{team}-*",
        "logs": "*",
    }[svc]
    st = {"Sid": f"S{i}", "Effect": "Deny" if rng.random() < 0.08 else "Allow", "Action": action, "Resource": resource}
    if rng.random() < 0.3:
        st["Condition"] = {"StringEquals": {"aws:PrincipalTag/team": team}}
    elif rng.random() < 0.2:
        st["Condition"] = {"IpAddress": {"aws:SourceIp": ["10.0.0.0/8", "192.0.2.0/24"]}}
    return st


def policy_doc(rng, account, n):
    return {"Version": "2012-10-17", "Statement": [statement(rng, account, i) for i in range(n)]}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--principals", type=int, default=10000)
    ap.add_argument("--accounts", type=int, default=10)
    ap.add_argument("--managed", type=int, default=300, help="customer managed policies per account")
    ap.add_argument("--inline", type=int, default=1, help="inline policies per principal")
    ap.add_argument("--statements", type=int, default=5, help="statements per inline policy")
    ap.add_argument("--target-mb", type=float, default=0, help="grow inline policies until the dump reaches this size")
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--per-account", action="store_true", help="one dump per account: OUT/ACCOUNT/gaad.json")
    ap.add_argument("--out", required=True)
    args = ap.parse_args()
    if args.target_mb:
        # About 0.9 KB per inline statement once pretty-printed by the AWS CLI's indent of 4.
        per_principal = args.target_mb * 1024 * 1024 / args.principals
        args.statements = max(1, int(per_principal / 850 / max(1, args.inline)))
    rng = random.Random(args.seed)
    accounts = [f"{100000000000 + i * 1111:012d}" for i in range(args.accounts)]
    if args.per_account:
        per_account(args, rng, accounts)
        write_org(args, accounts)
        return
    users, roles, policies = [], [], []
    for a in accounts:
        for m in range(args.managed):
            arn = f"arn:aws:iam::{a}:policy/team-{m}"
            policies.append({"PolicyName": f"team-{m}", "PolicyId": f"ANPA{a}{m:06d}", "Arn": arn, "Path": "/",
                             "DefaultVersionId": "v1", "AttachmentCount": 1, "IsAttachable": True,
                             "PolicyVersionList": [{"Document": policy_doc(rng, a, 5), "VersionId": "v1", "IsDefaultVersion": True}]})
    for i in range(args.principals):
        a = accounts[i % len(accounts)]
        team = TEAMS[i % len(TEAMS)]
        attached = [{"PolicyName": f"team-{m}", "PolicyArn": f"arn:aws:iam::{a}:policy/team-{m}"} for m in rng.sample(range(args.managed), k=3)]
        inline = [{"PolicyName": f"inline-{k}", "PolicyDocument": policy_doc(rng, a, args.statements)} for k in range(args.inline)]
        tags = [{"Key": "team", "Value": team}]
        if i % 2 == 0:
            users.append({"Path": "/", "UserName": f"user-{i}", "UserId": f"AIDA{i:016d}", "Arn": f"arn:aws:iam::{a}:user/user-{i}",
                          "UserPolicyList": inline, "GroupList": [], "AttachedManagedPolicies": attached, "Tags": tags})
        else:
            trust = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{a}:root"}, "Action": "sts:AssumeRole"}]}
            roles.append({"Path": "/", "RoleName": f"{team}-role-{i}", "RoleId": f"AROA{i:016d}", "Arn": f"arn:aws:iam::{a}:role/{team}-role-{i}",
                          "AssumeRolePolicyDocument": trust, "InstanceProfileList": [], "RolePolicyList": inline,
                          "AttachedManagedPolicies": attached, "Tags": tags})
    os.makedirs(args.out, exist_ok=True)
    with open(os.path.join(args.out, "gaad.json"), "w") as f:
        json.dump({"UserDetailList": users, "GroupDetailList": [], "RoleDetailList": roles, "Policies": policies, "IsTruncated": False}, f, indent=4)
    write_org(args, accounts)
    size = os.path.getsize(os.path.join(args.out, "gaad.json"))
    print(f"{args.out}/gaad.json: {len(users)} users, {len(roles)} roles, {len(policies)} managed policies, {size / 1e6:.1f} MB")


def principal(rng, args, a, i, team):
    """One user (even i) or role (odd i) of account a, with 3 managed policies of its account."""
    attached = [{"PolicyName": f"team-{m}", "PolicyArn": f"arn:aws:iam::{a}:policy/team-{m}"} for m in rng.sample(range(args.managed), k=min(3, args.managed))]
    inline = [{"PolicyName": f"inline-{k}", "PolicyDocument": policy_doc(rng, a, args.statements)} for k in range(args.inline)]
    tags = [{"Key": "team", "Value": team}]
    if i % 2 == 0:
        return "user", {"Path": "/", "UserName": f"user-{i}", "UserId": f"AIDA{i:016d}", "Arn": f"arn:aws:iam::{a}:user/user-{i}",
                        "UserPolicyList": inline, "GroupList": [], "AttachedManagedPolicies": attached, "Tags": tags}
    trust = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{a}:root"}, "Action": "sts:AssumeRole"}]}
    return "role", {"Path": "/", "RoleName": f"{team}-role-{i}", "RoleId": f"AROA{i:016d}", "Arn": f"arn:aws:iam::{a}:role/{team}-role-{i}",
                    "AssumeRolePolicyDocument": trust, "InstanceProfileList": [], "RolePolicyList": inline,
                    "AttachedManagedPolicies": attached, "Tags": tags}


def per_account(args, rng, accounts):
    """One dump per account, written as it is made: memory holds one account at a time."""
    total = 0
    for k, a in enumerate(accounts):
        policies = [{"PolicyName": f"team-{m}", "PolicyId": f"ANPA{a}{m:06d}", "Arn": f"arn:aws:iam::{a}:policy/team-{m}", "Path": "/",
                     "DefaultVersionId": "v1", "AttachmentCount": 1, "IsAttachable": True,
                     "PolicyVersionList": [{"Document": policy_doc(rng, a, 5), "VersionId": "v1", "IsDefaultVersion": True}]}
                    for m in range(args.managed)]
        users, roles = [], []
        for i in range(k, args.principals, len(accounts)):
            kind, p = principal(rng, args, a, i, TEAMS[i % len(TEAMS)])
            (users if kind == "user" else roles).append(p)
        os.makedirs(os.path.join(args.out, a), exist_ok=True)
        with open(os.path.join(args.out, a, "gaad.json"), "w") as f:
            json.dump({"UserDetailList": users, "GroupDetailList": [], "RoleDetailList": roles, "Policies": policies, "IsTruncated": False}, f)
        total += len(users) + len(roles)
    print(f"{args.out}: {len(accounts)} accounts, {total} principals, {args.managed} managed policies per account")


def write_org(args, accounts):
    region_lock = {"Version": "2012-10-17", "Statement": [{"Effect": "Deny", "NotAction": ["iam:*", "sts:*"], "Resource": "*",
                   "Condition": {"StringNotEquals": {"aws:RequestedRegion": ["eu-west-1", "eu-central-1"]}}}]}
    org = {"organization": {"id": "o-synthetic01", "managementAccount": "999999999999",
           "policies": {"region-lock": {"type": "SCP", "document": region_lock}},
           "root": {"id": "r-syn1", "scps": ["FullAWSAccess"], "children": [
               {"ou": "ou-syn1-workloads", "name": "Workloads", "scps": ["FullAWSAccess", "region-lock"],
                "children": [{"account": a, "name": f"account-{k}", "scps": ["FullAWSAccess"]} for k, a in enumerate(accounts)]}]}}}
    os.makedirs(args.out, exist_ok=True)
    with open(os.path.join(args.out, "organization.json"), "w") as f:
        json.dump(org, f, indent=2)


if __name__ == "__main__":
    main()
