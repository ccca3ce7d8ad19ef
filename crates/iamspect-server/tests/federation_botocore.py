"""Drives iamspect's STS and gateway with botocore (AWS's Python client), for the Rust test
`sts_federation::botocore_client`. Reads a JSON job on stdin:

    {"endpoint": "http://127.0.0.1:PORT", "role_arn": "...", "tokens": {"case": "JWT", ...},
     "key": {"id": "...", "secret": "..."}, "policy": "..."}

and prints one JSON object: for each web identity case and each GetFederationToken case, either
{"ok": true, "arn": ...} (after using the credentials at the gateway) or {"code", "status"}.
Talks to the loopback endpoint only.
"""
import json
import sys

import botocore.session
from botocore.config import Config
from botocore.exceptions import ClientError


def client(session, service, endpoint, creds=None):
    kwargs = {
        "region_name": "us-east-1",
        "endpoint_url": endpoint,
        "config": Config(retries={"max_attempts": 1}, s3={"addressing_style": "path"}),
    }
    if creds:
        kwargs.update(
            aws_access_key_id=creds["AccessKeyId"],
            aws_secret_access_key=creds["SecretAccessKey"],
            aws_session_token=creds.get("SessionToken"),
        )
    else:
        kwargs.update(aws_access_key_id="AKIAUNUSEDEXAMPLE000", aws_secret_access_key="unused")
    return session.create_client(service, **kwargs)


def error(e):
    return {"code": e.response["Error"]["Code"], "status": e.response["ResponseMetadata"]["HTTPStatusCode"]}


def use(session, endpoint, creds):
    """Who the credentials are, and whether the gateway lets them read data/public/a.txt."""
    who = client(session, "sts", endpoint, creds).get_caller_identity()["Arn"]
    s3 = client(session, "s3", endpoint, creds)
    try:
        s3.get_object(Bucket="data", Key="public/a.txt")
        public = "allowed"
    except ClientError as e:
        public = e.response["Error"]["Code"]
    try:
        s3.get_object(Bucket="data", Key="private/a.txt")
        private = "allowed"
    except ClientError as e:
        private = e.response["Error"]["Code"]
    return {"ok": True, "arn": who, "public": public, "private": private}


def main():
    job = json.load(sys.stdin)
    endpoint = job["endpoint"]
    session = botocore.session.get_session()
    out = {}
    sts = client(session, "sts", endpoint)
    for case, token in job["tokens"].items():
        try:
            r = sts.assume_role_with_web_identity(
                RoleArn=job["role_arn"], RoleSessionName="gha-botocore", WebIdentityToken=token
            )
            out["web:" + case] = use(session, endpoint, r["Credentials"])
        except ClientError as e:
            out["web:" + case] = error(e)
    signed = client(session, "sts", endpoint, {"AccessKeyId": job["key"]["id"], "SecretAccessKey": job["key"]["secret"]})
    for case, kwargs in {
        "with-policy": {"Name": "carol", "Policy": job["policy"], "DurationSeconds": 900},
        "without-policy": {"Name": "erin"},
    }.items():
        try:
            r = signed.get_federation_token(**kwargs)
            out["federation:" + case] = use(session, endpoint, r["Credentials"])
        except ClientError as e:
            out["federation:" + case] = error(e)
    print(json.dumps(out))


if __name__ == "__main__":
    main()
