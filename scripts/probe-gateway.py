#!/usr/bin/env python3
"""Drives `iamspect serve --gateway` in front of an emulator with real clients (boto3), then
tries requests that an upstream could read differently from the gateway.

    python3 scripts/probe-gateway.py --gateway http://127.0.0.1:5002 --upstream http://127.0.0.1:5001

The gateway must run with the account data and credentials of `scripts/probe-data/` and `--default-key-policy` (keys are created through the emulator); the upstream
is any emulator on loopback (moto was used: `moto_server -H 127.0.0.1 -p 5001`). Prints one line
per call and a summary; exits 1 when a real client's allowed call was refused or when a bypass
attempt reached the upstream. Needs boto3 and requests (pip).
"""
import argparse
import json
import sys
import uuid

import boto3
import botocore
import requests
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from botocore.config import Config

KEY = "AKIAALICEEXAMPLE0001"
SECRET = "aliceSecretKeyEXAMPLEaliceSecretKeyEXAMP"
ACCOUNT = "123456789012"

failures = []


def client(service, endpoint, region="us-east-1"):
    return boto3.client(
        service,
        endpoint_url=endpoint,
        region_name=region,
        aws_access_key_id=KEY,
        aws_secret_access_key=SECRET,
        config=Config(retries={"max_attempts": 1}, s3={"addressing_style": "path"}, signature_version="s3v4" if service == "s3" else None),
    )


def expect_ok(name, fn):
    try:
        fn()
        print(f"ok      {name}")
    except botocore.exceptions.ClientError as e:
        failures.append(name)
        print(f"REFUSED {name}: {e.response['Error'].get('Code')}: {e.response['Error'].get('Message')}")


def expect_denied(name, fn):
    try:
        fn()
        failures.append(name)
        print(f"ALLOWED {name} (expected a deny)")
    except botocore.exceptions.ClientError as e:
        print(f"denied  {name}: {e.response['Error'].get('Code')}")


def real_clients(gw, up):
    # Set up through the emulator directly (no IAM there), from a clean state when it is moto.
    try:
        requests.post(f"{up}/moto-api/reset", timeout=5)
    except requests.RequestException:
        pass
    s3u = client("s3", up)
    for b in ["data", "secret"]:
        s3u.create_bucket(Bucket=b)
    s3u.put_object(Bucket="data", Key="private/secret.txt", Body=b"top secret")
    s3u.put_object(Bucket="secret", Key="x", Body=b"x")
    client("sqs", up).create_queue(QueueName="secret")
    client("dynamodb", up).create_table(
        TableName="Secrets",
        KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )

    s3 = client("s3", gw)
    expect_ok("s3 ListBuckets", lambda: s3.list_buckets())
    expect_ok("s3 CreateBucket", lambda: s3.create_bucket(Bucket="work"))
    expect_ok("s3 PutObject", lambda: s3.put_object(Bucket="work", Key="a/b c.txt", Body=b"hello"))
    expect_ok("s3 PutObject with metadata and tags", lambda: s3.put_object(Bucket="work", Key="t", Body=b"x", Metadata={"k": "v"}, Tagging="a=b"))
    expect_ok("s3 GetObject", lambda: s3.get_object(Bucket="work", Key="a/b c.txt")["Body"].read())
    expect_ok("s3 HeadObject", lambda: s3.head_object(Bucket="work", Key="a/b c.txt"))
    expect_ok("s3 ListObjectsV2", lambda: s3.list_objects_v2(Bucket="work", Prefix="a/"))
    expect_ok("s3 CopyObject", lambda: s3.copy_object(Bucket="work", Key="copy", CopySource={"Bucket": "work", "Key": "a/b c.txt"}))
    expect_ok("s3 DeleteObjects", lambda: s3.delete_objects(Bucket="work", Delete={"Objects": [{"Key": "copy"}, {"Key": "t"}]}))
    expect_ok("s3 GetBucketLocation", lambda: s3.get_bucket_location(Bucket="work"))
    expect_ok("s3 PutBucketTagging", lambda: s3.put_bucket_tagging(Bucket="work", Tagging={"TagSet": [{"Key": "a", "Value": "b"}]}))
    def multipart():
        u = s3.create_multipart_upload(Bucket="work", Key="big")
        p = s3.upload_part(Bucket="work", Key="big", UploadId=u["UploadId"], PartNumber=1, Body=b"x" * 10)
        s3.complete_multipart_upload(Bucket="work", Key="big", UploadId=u["UploadId"], MultipartUpload={"Parts": [{"PartNumber": 1, "ETag": p["ETag"]}]})
    expect_ok("s3 multipart upload", multipart)
    url = s3.generate_presigned_url("get_object", Params={"Bucket": "work", "Key": "a/b c.txt"}, ExpiresIn=300)
    r = requests.get(url)
    (print if r.status_code == 200 else lambda m: (failures.append("presigned"), print(m)))(f"{'ok     ' if r.status_code == 200 else 'REFUSED'} s3 presigned GetObject: {r.status_code}")
    expect_denied("s3 GetObject private", lambda: s3.get_object(Bucket="data", Key="private/secret.txt"))
    def mixed_delete():
        s3.put_object(Bucket="work", Key="gone", Body=b"x")
        r = s3.delete_objects(Bucket="data", Delete={"Objects": [{"Key": "private/secret.txt"}]})
        r2 = s3.delete_objects(Bucket="work", Delete={"Objects": [{"Key": "gone"}]})
        errors = [e["Key"] for e in r.get("Errors", [])]
        deleted = [d["Key"] for d in r2.get("Deleted", [])]
        if errors != ["private/secret.txt"] or deleted != ["gone"]:
            raise botocore.exceptions.ClientError({"Error": {"Code": "Unexpected", "Message": f"{r} {r2}"}}, "DeleteObjects")
    expect_ok("s3 DeleteObjects per key (denied key reported, allowed deleted)", mixed_delete)
    expect_denied("s3 ListObjects secret bucket", lambda: s3.list_objects_v2(Bucket="secret"))

    sqs = client("sqs", gw)
    expect_ok("sqs CreateQueue", lambda: sqs.create_queue(QueueName="jobs"))
    q = f"{gw}/{ACCOUNT}/jobs"
    expect_ok("sqs GetQueueUrl", lambda: sqs.get_queue_url(QueueName="jobs"))
    expect_ok("sqs SendMessage", lambda: sqs.send_message(QueueUrl=q, MessageBody="hi"))
    expect_ok("sqs ReceiveMessage", lambda: sqs.receive_message(QueueUrl=q))
    expect_ok("sqs ListQueues", lambda: sqs.list_queues())
    expect_denied("sqs DeleteQueue", lambda: sqs.delete_queue(QueueUrl=q))
    expect_denied("sqs SendMessage secret", lambda: sqs.send_message(QueueUrl=f"{gw}/{ACCOUNT}/secret", MessageBody="x"))

    ddb = client("dynamodb", gw)
    expect_ok("dynamodb CreateTable", lambda: ddb.create_table(
        TableName="Orders",
        KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST"))
    expect_ok("dynamodb PutItem", lambda: ddb.put_item(TableName="Orders", Item={"id": {"S": "1"}}))
    expect_ok("dynamodb GetItem", lambda: ddb.get_item(TableName="Orders", Key={"id": {"S": "1"}}))
    expect_ok("dynamodb Query", lambda: ddb.query(TableName="Orders", KeyConditionExpression="id = :i", ExpressionAttributeValues={":i": {"S": "1"}}))
    expect_ok("dynamodb BatchGetItem", lambda: ddb.batch_get_item(RequestItems={"Orders": {"Keys": [{"id": {"S": "1"}}]}}))
    expect_ok("dynamodb ListTables", lambda: ddb.list_tables())
    expect_denied("dynamodb Scan", lambda: ddb.scan(TableName="Orders"))
    expect_denied("dynamodb GetItem Secrets", lambda: ddb.get_item(TableName="Secrets", Key={"id": {"S": "1"}}))

    kms = client("kms", gw)
    key = {}
    expect_ok("kms CreateKey", lambda: key.update(kms.create_key()["KeyMetadata"]))
    if key:
        expect_ok("kms Encrypt", lambda: kms.encrypt(KeyId=key["KeyId"], Plaintext=b"x"))
    sm = client("secretsmanager", gw)
    expect_ok("secretsmanager CreateSecret", lambda: sm.create_secret(Name="app/db", SecretString="s"))
    sns = client("sns", gw)
    expect_ok("sns CreateTopic", lambda: sns.create_topic(Name="events"))
    expect_ok("sns Publish", lambda: sns.publish(TopicArn=f"arn:aws:sns:us-east-1:{ACCOUNT}:events", Message="m"))
    expect_ok("lambda ListFunctions", lambda: client("lambda", gw).list_functions())
    expect_denied("s3 in another region", lambda: client("s3", gw, "eu-west-1").list_objects_v2(Bucket="work"))


def signed(method, url, service, body=b"", headers=None, region="us-east-1"):
    req = AWSRequest(method=method, url=url, data=body, headers=headers or {})
    SigV4Auth(Credentials(KEY, SECRET), service, region).add_auth(req)
    return req


def raw(gw, req, extra_headers=None):
    """Sends a prepared request as is (requests keeps header order and bytes)."""
    s = requests.Session()
    prepared = requests.Request(req.method, req.url, data=req.body, headers=dict(req.headers)).prepare()
    if extra_headers:
        prepared.headers.update(extra_headers)
    return s.send(prepared)


def upstream_state(up):
    s3u = client("s3", up)
    try:
        s3u.head_object(Bucket="data", Key="private/secret.txt")
        private = True
    except botocore.exceptions.ClientError:
        private = False
    queues = client("sqs", up).list_queues().get("QueueUrls", [])
    tables = client("dynamodb", up).list_tables()["TableNames"]
    return private, any(q.endswith("/secret") for q in queues), "Secrets" in tables


def bypasses(gw, up):
    host = gw.split("://", 1)[1]
    attempts = []

    def attempt(name, response):
        # Refused, or (DeleteObjects) answered key by key with the key denied.
        per_key_denial = response.status_code == 200 and b"<Code>AccessDenied</Code>" in response.content and b"<Deleted>" not in response.content
        ok = (response.status_code >= 400 or per_key_denial) and b"top secret" not in response.content
        attempts.append((name, ok, response.status_code))
        print(f"{'refused' if ok else 'PASSED '} {name}: {response.status_code} {response.content[:160]!r}")

    attempt("// path", raw(gw, signed("GET", f"{gw}//data/private/secret.txt", "s3")))
    for h in ["data.example", f"localhost.s3.{host}", "DATA.s3.localhost.localstack.cloud"]:
        r = signed("GET", f"{gw}/private/secret.txt", "s3", headers={"Host": h})
        attempt(f"host {h}", raw(gw, r))
    body = b'<Delete><Object ><Key>private/&#115;ecret.txt</Key></Object></Delete>'
    attempt("DeleteObjects char ref", raw(gw, signed("POST", f"{gw}/data?delete", "s3", body)))
    body = b'<Delete><Object><Key><![CDATA[private/secret.txt]]></Key></Object></Delete>'
    attempt("DeleteObjects CDATA", raw(gw, signed("POST", f"{gw}/data?delete", "s3", body)))
    tgt = {"X-Amz-Target": "DynamoDB_20120810.DeleteTable", "Content-Type": "application/x-amz-json-1.0"}
    attempt("dynamodb table in query", raw(gw, signed("POST", f"{gw}/?TableName=Secrets", "dynamodb", b'{"TableName": "Orders"}', tgt)))
    tgt = {"X-Amz-Target": "DynamoDB_20120810.Scan", "Content-Type": "application/x-amz-json-1.0"}
    attempt("dynamodb duplicate key", raw(gw, signed("POST", f"{gw}/", "dynamodb", b'{"TableName": "Orders", "TableName": "Secrets"}', tgt)))
    form = {"Content-Type": "application/x-www-form-urlencoded"}
    attempt("sqs queue in query and form", raw(gw, signed("POST", f"{gw}/?QueueUrl={gw}/{ACCOUNT}/secret", "sqs", f"Action=PurgeQueue&QueueUrl={gw}/{ACCOUNT}/jobs".encode(), form)))
    r = signed("GET", f"{gw}/work", "s3", headers={"User-Agent": "x region/us-east-1"}, region="us-east-2")
    attempt("region in user agent", raw(gw, r))
    r = signed("GET", f"{gw}/data/public.txt", "s3")
    auth = r.headers["Authorization"]
    del r.headers["Authorization"]
    r.headers["Authorization"] = auth.replace("AWS4-HMAC-SHA256 ", f"AWS4-HMAC-SHA256 X=Credential={KEY}/20250101/us-east-1/sqs/aws4_request,", 1)
    attempt("two credentials", raw(gw, r))
    r = signed("PUT", f"{gw}/work/copied", "s3", headers={"x-amz-copy-source": "http://x/data/private/secret.txt"})
    attempt("copy source URL", raw(gw, r))
    attempt("moto-api dump", requests.get(f"{gw}/moto-api/data.json"))
    attempt("moto-api reset", requests.post(f"{gw}/moto-api/reset?uploads"))
    r = signed("GET", f"{gw}/data/private/secret.txt", "s3")
    del r.headers["x-amz-copy-source"]
    r.headers["x-amz-copy-source"] = b"/data/private/secret.txt\xff"
    attempt("non-UTF-8 header", raw(gw, r))
    import gzip
    gz = {"Content-Type": "application/x-www-form-urlencoded", "Content-Encoding": "gzip"}
    attempt("gzip form body", raw(gw, signed("POST", f"{gw}/", "sqs", gzip.compress(f"Action=DeleteQueue&QueueUrl={gw}/{ACCOUNT}/secret".encode()), gz)))
    tgt = {"X-Amz-Target": "DynamoDB_20120810.ListTables", "Content-Type": "application/x-amz-json-1.0", "Action": "DeleteTable"}
    attempt("Action header", raw(gw, signed("POST", f"{gw}/", "dynamodb", b'{"TableName": "Secrets"}', tgt)))
    attempt("x-amz-acl as a query parameter", raw(gw, signed("PUT", f"{gw}/work/acl?x-amz-acl=public-read", "s3", b"x")))
    attempt("; in the path", raw(gw, signed("GET", f"{gw}/data/private/secret.txt;x", "s3")))
    attempt("unsigned form body", requests.post(f"{gw}/work/x", data="Action=DeleteQueue&QueueUrl=x", headers={"Content-Type": "application/x-www-form-urlencoded"}))
    attempt("dot segment", raw(gw, signed("GET", f"{gw}/data/public/../private/secret.txt", "s3")))
    private, secret_queue, secret_table = upstream_state(up)
    print(f"upstream state: private object {'kept' if private else 'DELETED'}, secret queue {'kept' if secret_queue else 'DELETED'}, Secrets table {'kept' if secret_table else 'DELETED'}")
    bad = [a for a in attempts if not a[1]] + [x for x in [(not private, "object"), (not secret_queue, "queue"), (not secret_table, "table")] if x[0]]
    return len(attempts), bad


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--gateway", required=True)
    p.add_argument("--upstream", required=True)
    a = p.parse_args()
    real_clients(a.gateway, a.upstream)
    n, bad = bypasses(a.gateway, a.upstream)
    print(f"real clients: {len(failures)} unexpected answers; bypass attempts: {n}, {len(bad)} reached the upstream")
    sys.exit(1 if failures or bad else 0)


if __name__ == "__main__":
    main()
