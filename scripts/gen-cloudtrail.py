#!/usr/bin/env python3
"""Writes a synthetic CloudTrail event set for benchmarks (decision D149): log files as AWS
delivers them (`{"Records": [...]}`, gzip, `.json.gz`), about --bytes of uncompressed event JSON
in all, for the account of crates/iamspect/tests/fixtures/unused/account.json (user `dev`, role
`app`), deterministic for a given --seed.

    scripts/gen-cloudtrail.py --out /tmp/ct-1g --bytes 1G
    iamspect unused --account-data crates/iamspect/tests/fixtures/unused/account.json --cloudtrail /tmp/ct-1g
"""
import argparse
import gzip
import json
import os
import random

ACCOUNT = "123456789012"


def size(text):
    units = {"K": 1 << 10, "M": 1 << 20, "G": 1 << 30}
    return int(float(text[:-1]) * units[text[-1]]) if text[-1] in units else int(text)


def identity(rng):
    if rng.random() < 0.5:
        return {"type": "IAMUser", "principalId": "AIDAEXAMPLEDEV", "arn": f"arn:aws:iam::{ACCOUNT}:user/dev",
                "accountId": ACCOUNT, "accessKeyId": "AKIAEXAMPLEDEV1", "userName": "dev"}
    session = f"i-{rng.randrange(16**8):08x}"
    return {"type": "AssumedRole", "principalId": f"AROAEXAMPLEAPP:{session}",
            "arn": f"arn:aws:sts::{ACCOUNT}:assumed-role/app/{session}", "accountId": ACCOUNT,
            "accessKeyId": f"ASIA{rng.randrange(16**12):012X}",
            "sessionContext": {"sessionIssuer": {"type": "Role", "principalId": "AROAEXAMPLEAPP",
                                                 "arn": f"arn:aws:iam::{ACCOUNT}:role/app", "accountId": ACCOUNT,
                                                 "userName": "app"},
                               "attributes": {"creationDate": "2026-11-01T00:00:00Z", "mfaAuthenticated": "false"}}}


def event(rng, i):
    day, sec = rng.randrange(1, 29), rng.randrange(86400)
    e = {"eventVersion": "1.09", "userIdentity": identity(rng),
         "eventTime": f"2026-11-{day:02d}T{sec // 3600:02d}:{sec // 60 % 60:02d}:{sec % 60:02d}Z",
         "awsRegion": "eu-west-1", "sourceIPAddress": f"198.51.100.{rng.randrange(1, 255)}",
         "userAgent": "[aws-sdk-go-v2/1.30.0 os/linux lang/go#1.22 md/GOOS#linux md/GOARCH#amd64]",
         "eventID": f"{rng.randrange(16**32):032x}", "readOnly": True, "eventType": "AwsApiCall",
         "managementEvent": False, "recipientAccountId": ACCOUNT, "eventCategory": "Data",
         "requestID": f"{rng.randrange(16**16):016X}",
         "tlsDetails": {"tlsVersion": "TLSv1.3", "cipherSuite": "TLS_AES_128_GCM_SHA256",
                        "clientProvidedHostHeader": "reports.s3.eu-west-1.amazonaws.com"}}
    kind = rng.random()
    if kind < 0.85:
        name = "GetObject" if kind < 0.6 else "PutObject"
        key = f"{rng.choice(['2026', 'daily', 'raw'])}/part-{rng.randrange(100000):05d}.csv"
        e.update({"eventSource": "s3.amazonaws.com", "eventName": name,
                  "requestParameters": {"bucketName": "reports", "Host": "reports.s3.eu-west-1.amazonaws.com",
                                        "key": key},
                  "responseElements": None,
                  "additionalEventData": {"SignatureVersion": "SigV4", "CipherSuite": "TLS_AES_128_GCM_SHA256",
                                          "bytesTransferredIn": 0, "AuthenticationMethod": "AuthHeader",
                                          "x-amz-id-2": "x" * 76, "bytesTransferredOut": rng.randrange(10**6)},
                  "resources": [{"type": "AWS::S3::Object", "ARN": f"arn:aws:s3:::reports/{key}"},
                                {"accountId": ACCOUNT, "type": "AWS::S3::Bucket", "ARN": "arn:aws:s3:::reports"}]})
        if name == "PutObject":
            e["readOnly"] = False
    elif kind < 0.95:
        e.update({"eventSource": "s3.amazonaws.com", "eventName": "ListObjects",
                  "requestParameters": {"bucketName": "reports", "prefix": "2026/", "Host": "reports.s3.eu-west-1.amazonaws.com"},
                  "responseElements": None,
                  "resources": [{"accountId": ACCOUNT, "type": "AWS::S3::Bucket", "ARN": "arn:aws:s3:::reports"}]})
    else:
        e.update({"eventSource": "sqs.amazonaws.com", "eventName": "SendMessage", "managementEvent": False,
                  "requestParameters": {"queueUrl": f"https://sqs.eu-west-1.amazonaws.com/{ACCOUNT}/jobs",
                                        "messageBody": "HIDDEN_DUE_TO_SECURITY_REASONS"},
                  "responseElements": {"mD5OfMessageBody": "0" * 32, "messageId": f"{rng.randrange(16**32):032x}"},
                  "resources": [{"accountId": ACCOUNT, "type": "AWS::SQS::Queue",
                                 "ARN": f"arn:aws:sqs:eu-west-1:{ACCOUNT}:jobs"}]})
        if rng.random() < 0.3:
            e["errorCode"] = "AccessDenied"
            e["errorMessage"] = "Access to the resource is denied."
    return e


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", required=True)
    ap.add_argument("--bytes", default="1G", help="uncompressed event JSON in all (K, M, G suffixes)")
    ap.add_argument("--file-bytes", default="8M", help="uncompressed JSON per file")
    ap.add_argument("--seed", type=int, default=20)
    ap.add_argument("--plain", action="store_true", help="write .json, not .json.gz")
    args = ap.parse_args()
    rng = random.Random(args.seed)
    total, per_file = size(args.bytes), size(args.file_bytes)
    os.makedirs(args.out, exist_ok=True)
    written, n, events = 0, 0, 0
    while written < total:
        records, length = [], 0
        while length < per_file and written + length < total:
            text = json.dumps(event(rng, events), separators=(",", ":"))
            records.append(text)
            length += len(text) + 1
            events += 1
        body = ('{"Records":[' + ",".join(records) + "]}").encode()
        name = f"{ACCOUNT}_CloudTrail_eu-west-1_20261130T{n // 60:02d}{n % 60:02d}Z_{n:06d}.json"
        if args.plain:
            with open(os.path.join(args.out, name), "wb") as f:
                f.write(body)
        else:
            with gzip.open(os.path.join(args.out, name + ".gz"), "wb", compresslevel=6) as f:
                f.write(body)
        written += len(body)
        n += 1
    print(f"{n} files, {events} events, {written} bytes of JSON in {args.out}")


if __name__ == "__main__":
    main()
