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


# The operations real SDKs call most for the 16 services the gateway maps (docs/gateway-coverage.md,
# "The sweep"). Each call is sent through the gateway with boto3 and its answer classed:
#   ok       the gateway allowed it and the emulator answered it (success)
#   emulator the gateway allowed it and the emulator answered with an error of its own
#   denied   AccessDenied (or the service's code) from the gateway, as the policy says
#   refused  an Iamspect* code: the gateway could not decide it (the reason is printed)
sweep_results = []


def swept(service, name, fn, expect="allowed"):
    try:
        fn()
        outcome, detail = "ok", ""
    except botocore.exceptions.ClientError as e:
        code = e.response["Error"].get("Code", "")
        status = e.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
        detail = f"{code}: {e.response['Error'].get('Message', '')[:150]}"
        if code.startswith("Iamspect"):
            outcome = "refused"
        elif code in ("AccessDenied", "AccessDeniedException", "UnauthorizedOperation") and "x-iamspect-authorization-message" in {k.lower() for k in e.response.get("ResponseMetadata", {}).get("HTTPHeaders", {})}:
            outcome = "denied"
        else:
            outcome = "emulator"
        detail = f"{status} {detail}"
    except Exception as e:  # the emulator's own failures (timeouts, parse errors)
        outcome, detail = "emulator", f"{type(e).__name__}: {str(e)[:150]}"
    unexpected = (expect == "denied") != (outcome == "denied") and outcome != "refused"
    sweep_results.append((service, name, outcome, detail, expect, unexpected))
    mark = "!" if unexpected else " "
    print(f"{mark} {outcome:8} {service} {name} {detail}")


def sweep(gw, up):
    import io
    import zipfile
    sts = client("sts", gw)
    swept("sts", "GetCallerIdentity", lambda: sts.get_caller_identity())

    s3 = client("s3", gw)
    swept("s3", "CreateBucket", lambda: s3.create_bucket(Bucket="sweep"))
    swept("s3", "HeadBucket", lambda: s3.head_bucket(Bucket="sweep"))
    swept("s3", "ListBuckets", lambda: s3.list_buckets())
    swept("s3", "PutObject", lambda: s3.put_object(Bucket="sweep", Key="k", Body=b"v"))
    swept("s3", "GetObject", lambda: s3.get_object(Bucket="sweep", Key="k")["Body"].read())
    swept("s3", "HeadObject", lambda: s3.head_object(Bucket="sweep", Key="k"))
    swept("s3", "ListObjectsV2", lambda: s3.list_objects_v2(Bucket="sweep"))
    swept("s3", "ListObjects", lambda: s3.list_objects(Bucket="sweep"))
    swept("s3", "CopyObject", lambda: s3.copy_object(Bucket="sweep", Key="k2", CopySource={"Bucket": "sweep", "Key": "k"}))
    swept("s3", "PutObjectTagging", lambda: s3.put_object_tagging(Bucket="sweep", Key="k", Tagging={"TagSet": [{"Key": "a", "Value": "b"}]}))
    swept("s3", "GetObjectTagging", lambda: s3.get_object_tagging(Bucket="sweep", Key="k"))
    swept("s3", "PutBucketVersioning", lambda: s3.put_bucket_versioning(Bucket="sweep", VersioningConfiguration={"Status": "Enabled"}))
    swept("s3", "GetBucketVersioning", lambda: s3.get_bucket_versioning(Bucket="sweep"))
    swept("s3", "ListObjectVersions", lambda: s3.list_object_versions(Bucket="sweep"))
    policy = json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"}, "Action": "s3:GetObject", "Resource": "arn:aws:s3:::sweep/*"}]})
    swept("s3", "PutBucketPolicy", lambda: s3.put_bucket_policy(Bucket="sweep", Policy=policy))
    swept("s3", "GetBucketPolicy", lambda: s3.get_bucket_policy(Bucket="sweep"))
    swept("s3", "GetBucketLocation", lambda: s3.get_bucket_location(Bucket="sweep"))
    swept("s3", "PutBucketEncryption", lambda: s3.put_bucket_encryption(Bucket="sweep", ServerSideEncryptionConfiguration={"Rules": [{"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}]}))
    swept("s3", "GetBucketEncryption", lambda: s3.get_bucket_encryption(Bucket="sweep"))
    swept("s3", "PutBucketCors", lambda: s3.put_bucket_cors(Bucket="sweep", CORSConfiguration={"CORSRules": [{"AllowedMethods": ["GET"], "AllowedOrigins": ["*"]}]}))
    swept("s3", "PutPublicAccessBlock", lambda: s3.put_public_access_block(Bucket="sweep", PublicAccessBlockConfiguration={"BlockPublicAcls": True}))
    swept("s3", "GetBucketAcl", lambda: s3.get_bucket_acl(Bucket="sweep"))
    swept("s3", "PutObjectAcl", lambda: s3.put_object_acl(Bucket="sweep", Key="k", ACL="private"))
    def multipart():
        u = s3.create_multipart_upload(Bucket="sweep", Key="big")
        s3.list_multipart_uploads(Bucket="sweep")
        part = s3.upload_part(Bucket="sweep", Key="big", UploadId=u["UploadId"], PartNumber=1, Body=b"x" * 10)
        s3.list_parts(Bucket="sweep", Key="big", UploadId=u["UploadId"])
        s3.complete_multipart_upload(Bucket="sweep", Key="big", UploadId=u["UploadId"], MultipartUpload={"Parts": [{"PartNumber": 1, "ETag": part["ETag"]}]})
    swept("s3", "CreateMultipartUpload, ListMultipartUploads, UploadPart, ListParts, CompleteMultipartUpload", multipart)
    def abort():
        u = s3.create_multipart_upload(Bucket="sweep", Key="aborted")
        s3.abort_multipart_upload(Bucket="sweep", Key="aborted", UploadId=u["UploadId"])
    swept("s3", "AbortMultipartUpload", abort)
    swept("s3", "upload_fileobj (managed transfer)", lambda: s3.upload_fileobj(io.BytesIO(b"z" * 100), "sweep", "managed"))
    swept("s3", "DeleteObject", lambda: s3.delete_object(Bucket="sweep", Key="k2"))
    swept("s3", "DeleteObjects", lambda: s3.delete_objects(Bucket="sweep", Delete={"Objects": [{"Key": "managed"}]}))
    swept("s3", "GetObject denied", lambda: s3.get_object(Bucket="data", Key="private/secret.txt"), "denied")

    kms = client("kms", gw)
    key = {}
    swept("kms", "CreateKey", lambda: key.update(kms.create_key(Description="sweep", Tags=[{"TagKey": "team", "TagValue": "a"}])["KeyMetadata"]))
    kid = key.get("KeyId", "00000000-0000-0000-0000-000000000000")
    swept("kms", "DescribeKey", lambda: kms.describe_key(KeyId=kid))
    swept("kms", "ListKeys", lambda: kms.list_keys())
    blob = {}
    swept("kms", "Encrypt", lambda: blob.update(kms.encrypt(KeyId=kid, Plaintext=b"x")))
    swept("kms", "Decrypt (key from the blob)", lambda: kms.decrypt(CiphertextBlob=blob.get("CiphertextBlob", b"x" * 40)))
    swept("kms", "GenerateDataKey", lambda: kms.generate_data_key(KeyId=kid, KeySpec="AES_256"))
    swept("kms", "ReEncrypt", lambda: kms.re_encrypt(CiphertextBlob=blob.get("CiphertextBlob", b"x" * 40), DestinationKeyId=kid))
    swept("kms", "CreateAlias", lambda: kms.create_alias(AliasName="alias/sweep", TargetKeyId=kid))
    swept("kms", "ListAliases", lambda: kms.list_aliases())
    swept("kms", "Encrypt by alias", lambda: kms.encrypt(KeyId="alias/sweep", Plaintext=b"x"))
    swept("kms", "TagResource", lambda: kms.tag_resource(KeyId=kid, Tags=[{"TagKey": "a", "TagValue": "b"}]))
    swept("s3", "PutObject SSE-KMS (key ARN)", lambda: s3.put_object(Bucket="sweep", Key="enc", Body=b"e", ServerSideEncryption="aws:kms", SSEKMSKeyId=key.get("Arn", "")))
    swept("s3", "GetObject SSE-KMS", lambda: s3.get_object(Bucket="sweep", Key="enc")["Body"].read())
    swept("s3", "CopyObject of an SSE-KMS object", lambda: s3.copy_object(Bucket="sweep", Key="enc-copy", CopySource={"Bucket": "sweep", "Key": "enc"}))
    def default_kms():
        s3.create_bucket(Bucket="sweep-kms")
        s3.put_bucket_encryption(Bucket="sweep-kms", ServerSideEncryptionConfiguration={"Rules": [{"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "aws:kms", "KMSMasterKeyID": key.get("Arn", "")}}]})
    swept("s3", "CreateBucket, PutBucketEncryption with a KMS key", default_kms)
    swept("s3", "PutObject into a bucket whose default is SSE-KMS", lambda: s3.put_object(Bucket="sweep-kms", Key="k", Body=b"v"))
    # The policy denies the KMS actions S3 would make for these objects (kms:EncryptionContext).
    swept("s3", "PutObject into a default SSE-KMS bucket, kms:GenerateDataKey denied", lambda: s3.put_object(Bucket="sweep-kms", Key="denied", Body=b"v"), "denied")
    client("s3", up).put_object(Bucket="sweep", Key="enc-secret", Body=b"s", ServerSideEncryption="aws:kms", SSEKMSKeyId=key.get("Arn", ""))
    swept("s3", "GetObject SSE-KMS, kms:Decrypt denied", lambda: s3.get_object(Bucket="sweep", Key="enc-secret")["Body"].read(), "denied")
    swept("s3", "CopyObject of an SSE-KMS object, kms:Decrypt denied", lambda: s3.copy_object(Bucket="sweep", Key="enc-copy2", CopySource={"Bucket": "sweep", "Key": "enc-secret"}), "denied")
    swept("kms", "ScheduleKeyDeletion", lambda: kms.schedule_key_deletion(KeyId=kid, PendingWindowInDays=7))

    sqs = client("sqs", gw)
    swept("sqs", "CreateQueue", lambda: sqs.create_queue(QueueName="sweep", tags={"team": "a"}))
    q = f"{gw}/{ACCOUNT}/sweep"
    swept("sqs", "GetQueueUrl", lambda: sqs.get_queue_url(QueueName="sweep"))
    swept("sqs", "ListQueues", lambda: sqs.list_queues())
    swept("sqs", "GetQueueAttributes", lambda: sqs.get_queue_attributes(QueueUrl=q, AttributeNames=["All"]))
    swept("sqs", "SetQueueAttributes", lambda: sqs.set_queue_attributes(QueueUrl=q, Attributes={"VisibilityTimeout": "10"}))
    swept("sqs", "SendMessage", lambda: sqs.send_message(QueueUrl=q, MessageBody="m"))
    swept("sqs", "SendMessageBatch", lambda: sqs.send_message_batch(QueueUrl=q, Entries=[{"Id": "1", "MessageBody": "a"}, {"Id": "2", "MessageBody": "b"}]))
    received = {}
    swept("sqs", "ReceiveMessage", lambda: received.update(sqs.receive_message(QueueUrl=q, MaxNumberOfMessages=3)))
    handles = [m["ReceiptHandle"] for m in received.get("Messages", [])] or ["none"]
    swept("sqs", "ChangeMessageVisibility", lambda: sqs.change_message_visibility(QueueUrl=q, ReceiptHandle=handles[0], VisibilityTimeout=0))
    swept("sqs", "DeleteMessage", lambda: sqs.delete_message(QueueUrl=q, ReceiptHandle=handles[0]))
    swept("sqs", "DeleteMessageBatch", lambda: sqs.delete_message_batch(QueueUrl=q, Entries=[{"Id": str(i), "ReceiptHandle": h} for i, h in enumerate(handles[1:] or ["none"])]))
    swept("sqs", "TagQueue", lambda: sqs.tag_queue(QueueUrl=q, Tags={"b": "c"}))
    swept("sqs", "ListQueueTags", lambda: sqs.list_queue_tags(QueueUrl=q))
    swept("sqs", "PurgeQueue", lambda: sqs.purge_queue(QueueUrl=q), "denied")
    swept("sqs", "DeleteQueue", lambda: sqs.delete_queue(QueueUrl=q), "denied")

    sns = client("sns", gw)
    topic = f"arn:aws:sns:us-east-1:{ACCOUNT}:sweep"
    swept("sns", "CreateTopic", lambda: sns.create_topic(Name="sweep", Tags=[{"Key": "a", "Value": "b"}]))
    swept("sns", "ListTopics", lambda: sns.list_topics())
    swept("sns", "GetTopicAttributes", lambda: sns.get_topic_attributes(TopicArn=topic))
    swept("sns", "SetTopicAttributes", lambda: sns.set_topic_attributes(TopicArn=topic, AttributeName="DisplayName", AttributeValue="x"))
    swept("sns", "Subscribe", lambda: sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=f"arn:aws:sqs:us-east-1:{ACCOUNT}:sweep"))
    swept("sns", "ListSubscriptionsByTopic", lambda: sns.list_subscriptions_by_topic(TopicArn=topic))
    swept("sns", "Publish", lambda: sns.publish(TopicArn=topic, Message="m"))
    swept("sns", "PublishBatch", lambda: sns.publish_batch(TopicArn=topic, PublishBatchRequestEntries=[{"Id": "1", "Message": "m"}]))
    swept("sns", "DeleteTopic", lambda: sns.delete_topic(TopicArn=topic))

    ddb = client("dynamodb", gw)
    swept("dynamodb", "CreateTable", lambda: ddb.create_table(TableName="Sweep", KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}], AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}], BillingMode="PAY_PER_REQUEST", Tags=[{"Key": "a", "Value": "b"}]))
    swept("dynamodb", "DescribeTable", lambda: ddb.describe_table(TableName="Sweep"))
    swept("dynamodb", "ListTables", lambda: ddb.list_tables())
    swept("dynamodb", "PutItem", lambda: ddb.put_item(TableName="Sweep", Item={"id": {"S": "1"}}))
    swept("dynamodb", "GetItem", lambda: ddb.get_item(TableName="Sweep", Key={"id": {"S": "1"}}))
    swept("dynamodb", "UpdateItem", lambda: ddb.update_item(TableName="Sweep", Key={"id": {"S": "1"}}, UpdateExpression="SET n = :n", ExpressionAttributeValues={":n": {"N": "1"}}))
    swept("dynamodb", "Query", lambda: ddb.query(TableName="Sweep", KeyConditionExpression="id = :i", ExpressionAttributeValues={":i": {"S": "1"}}))
    swept("dynamodb", "BatchWriteItem", lambda: ddb.batch_write_item(RequestItems={"Sweep": [{"PutRequest": {"Item": {"id": {"S": "2"}}}}]}))
    swept("dynamodb", "BatchGetItem", lambda: ddb.batch_get_item(RequestItems={"Sweep": {"Keys": [{"id": {"S": "1"}}]}}))
    swept("dynamodb", "TransactWriteItems", lambda: ddb.transact_write_items(TransactItems=[{"Put": {"TableName": "Sweep", "Item": {"id": {"S": "3"}}}}]))
    swept("dynamodb", "TransactGetItems", lambda: ddb.transact_get_items(TransactItems=[{"Get": {"TableName": "Sweep", "Key": {"id": {"S": "3"}}}}]))
    swept("dynamodb", "ExecuteStatement", lambda: ddb.execute_statement(Statement="SELECT * FROM \"Sweep\" WHERE id = '1'"))
    swept("dynamodb", "UpdateTimeToLive", lambda: ddb.update_time_to_live(TableName="Sweep", TimeToLiveSpecification={"Enabled": True, "AttributeName": "ttl"}))
    swept("dynamodb", "DescribeTimeToLive", lambda: ddb.describe_time_to_live(TableName="Sweep"))
    swept("dynamodb", "DeleteItem", lambda: ddb.delete_item(TableName="Sweep", Key={"id": {"S": "2"}}))
    swept("dynamodb", "Scan", lambda: ddb.scan(TableName="Sweep"), "denied")
    swept("dynamodb", "DeleteTable", lambda: ddb.delete_table(TableName="Sweep"), "denied")

    sm = client("secretsmanager", gw)
    swept("secretsmanager", "CreateSecret", lambda: sm.create_secret(Name="sweep/db", SecretString="s", Tags=[{"Key": "a", "Value": "b"}]))
    swept("secretsmanager", "ListSecrets", lambda: sm.list_secrets())
    swept("secretsmanager", "GetSecretValue by name", lambda: sm.get_secret_value(SecretId="sweep/db"))
    swept("secretsmanager", "DescribeSecret by name", lambda: sm.describe_secret(SecretId="sweep/db"))
    swept("secretsmanager", "PutSecretValue by name", lambda: sm.put_secret_value(SecretId="sweep/db", SecretString="t"))

    iam = client("iam", gw)
    trust = json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}]})
    swept("iam", "CreateRole", lambda: iam.create_role(RoleName="sweep-fn", AssumeRolePolicyDocument=trust, Tags=[{"Key": "a", "Value": "b"}]))
    swept("iam", "GetRole", lambda: iam.get_role(RoleName="sweep-fn"))
    swept("iam", "ListRoles", lambda: iam.list_roles())
    document = json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:ListBucket", "Resource": "*"}]})
    swept("iam", "PutRolePolicy", lambda: iam.put_role_policy(RoleName="sweep-fn", PolicyName="p", PolicyDocument=document))
    swept("iam", "CreatePolicy", lambda: iam.create_policy(PolicyName="sweep", PolicyDocument=document))
    swept("iam", "AttachRolePolicy", lambda: iam.attach_role_policy(RoleName="sweep-fn", PolicyArn=f"arn:aws:iam::{ACCOUNT}:policy/sweep"))
    swept("iam", "ListAttachedRolePolicies", lambda: iam.list_attached_role_policies(RoleName="sweep-fn"))
    swept("iam", "ListPolicies", lambda: iam.list_policies(Scope="Local"))
    swept("iam", "CreateUser", lambda: iam.create_user(UserName="sweep"))
    swept("iam", "GetUser", lambda: iam.get_user(UserName="sweep"))
    swept("iam", "ListUsers", lambda: iam.list_users())
    swept("iam", "CreateAccessKey", lambda: iam.create_access_key(UserName="sweep"))

    lam = client("lambda", gw)
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("index.py", "def handler(e, c):\n    return e\n")
    swept("lambda", "CreateFunction", lambda: lam.create_function(FunctionName="sweep", Runtime="python3.12", Role=f"arn:aws:iam::{ACCOUNT}:role/sweep-fn", Handler="index.handler", Code={"ZipFile": buf.getvalue()}))
    swept("lambda", "GetFunction", lambda: lam.get_function(FunctionName="sweep"))
    swept("lambda", "ListFunctions", lambda: lam.list_functions())
    swept("lambda", "GetFunctionConfiguration", lambda: lam.get_function_configuration(FunctionName="sweep"))
    swept("lambda", "UpdateFunctionConfiguration", lambda: lam.update_function_configuration(FunctionName="sweep", Timeout=10))
    swept("lambda", "DeleteFunction", lambda: lam.delete_function(FunctionName="sweep"))

    logs = client("logs", gw)
    swept("logs", "CreateLogGroup", lambda: logs.create_log_group(logGroupName="sweep", tags={"a": "b"}))
    swept("logs", "CreateLogStream", lambda: logs.create_log_stream(logGroupName="sweep", logStreamName="s"))
    swept("logs", "PutLogEvents", lambda: logs.put_log_events(logGroupName="sweep", logStreamName="s", logEvents=[{"timestamp": 1700000000000, "message": "m"}]))
    swept("logs", "DescribeLogGroups", lambda: logs.describe_log_groups())
    swept("logs", "DescribeLogStreams", lambda: logs.describe_log_streams(logGroupName="sweep"))
    swept("logs", "GetLogEvents", lambda: logs.get_log_events(logGroupName="sweep", logStreamName="s"))
    swept("logs", "FilterLogEvents", lambda: logs.filter_log_events(logGroupName="sweep"))
    swept("logs", "PutRetentionPolicy", lambda: logs.put_retention_policy(logGroupName="sweep", retentionInDays=7))
    swept("logs", "StartQuery", lambda: logs.start_query(logGroupName="sweep", startTime=0, endTime=1, queryString="fields @message"))
    swept("logs", "DeleteLogGroup", lambda: logs.delete_log_group(logGroupName="sweep"))

    ssm = client("ssm", gw)
    swept("ssm", "PutParameter", lambda: ssm.put_parameter(Name="/sweep/p", Value="v", Type="String"))
    swept("ssm", "GetParameter", lambda: ssm.get_parameter(Name="/sweep/p"))
    swept("ssm", "GetParameters", lambda: ssm.get_parameters(Names=["/sweep/p"]))
    swept("ssm", "GetParametersByPath", lambda: ssm.get_parameters_by_path(Path="/sweep"))
    swept("ssm", "DescribeParameters", lambda: ssm.describe_parameters())
    swept("ssm", "DeleteParameter", lambda: ssm.delete_parameter(Name="/sweep/p"))

    ec2 = client("ec2", gw)
    swept("ec2", "DescribeRegions", lambda: ec2.describe_regions())
    swept("ec2", "DescribeAvailabilityZones", lambda: ec2.describe_availability_zones())
    swept("ec2", "DescribeInstances", lambda: ec2.describe_instances())
    swept("ec2", "DescribeVpcs", lambda: ec2.describe_vpcs())
    swept("ec2", "DescribeSubnets", lambda: ec2.describe_subnets())
    swept("ec2", "DescribeSecurityGroups", lambda: ec2.describe_security_groups())
    swept("ec2", "DescribeImages", lambda: ec2.describe_images(Owners=["amazon"]))
    vpc = {}
    swept("ec2", "CreateVpc", lambda: vpc.update(ec2.create_vpc(CidrBlock="10.1.0.0/16")["Vpc"]))
    sg = {}
    swept("ec2", "CreateSecurityGroup", lambda: sg.update(ec2.create_security_group(GroupName="sweep", Description="d", VpcId=vpc.get("VpcId", "vpc-0"))))
    swept("ec2", "AuthorizeSecurityGroupIngress", lambda: ec2.authorize_security_group_ingress(GroupId=sg.get("GroupId", "sg-0"), IpPermissions=[{"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22, "IpRanges": [{"CidrIp": "10.0.0.0/8"}]}]))
    swept("ec2", "CreateTags", lambda: ec2.create_tags(Resources=[vpc.get("VpcId", "vpc-0")], Tags=[{"Key": "a", "Value": "b"}]))
    inst = {}
    swept("ec2", "RunInstances", lambda: inst.update(ec2.run_instances(ImageId="ami-12c6146b", MinCount=1, MaxCount=1, InstanceType="t3.micro")["Instances"][0]))
    swept("ec2", "TerminateInstances", lambda: ec2.terminate_instances(InstanceIds=[inst.get("InstanceId", "i-0")]))

    kin = client("kinesis", gw)
    swept("kinesis", "CreateStream", lambda: kin.create_stream(StreamName="sweep", ShardCount=1))
    swept("kinesis", "DescribeStream", lambda: kin.describe_stream(StreamName="sweep"))
    swept("kinesis", "ListStreams", lambda: kin.list_streams())
    swept("kinesis", "PutRecord", lambda: kin.put_record(StreamName="sweep", Data=b"d", PartitionKey="p"))
    swept("kinesis", "PutRecords", lambda: kin.put_records(StreamName="sweep", Records=[{"Data": b"d", "PartitionKey": "p"}]))
    def records():
        shard = kin.describe_stream(StreamName="sweep")["StreamDescription"]["Shards"][0]["ShardId"]
        it = kin.get_shard_iterator(StreamName="sweep", ShardId=shard, ShardIteratorType="TRIM_HORIZON")["ShardIterator"]
        kin.get_records(ShardIterator=it)
    swept("kinesis", "GetShardIterator, GetRecords", records)
    swept("kinesis", "DeleteStream", lambda: kin.delete_stream(StreamName="sweep"))

    fh = client("firehose", gw)
    swept("firehose", "CreateDeliveryStream", lambda: fh.create_delivery_stream(DeliveryStreamName="sweep", S3DestinationConfiguration={"RoleARN": f"arn:aws:iam::{ACCOUNT}:role/sweep-fn", "BucketARN": "arn:aws:s3:::sweep"}))
    swept("firehose", "DescribeDeliveryStream", lambda: fh.describe_delivery_stream(DeliveryStreamName="sweep"))
    swept("firehose", "ListDeliveryStreams", lambda: fh.list_delivery_streams())
    swept("firehose", "PutRecord", lambda: fh.put_record(DeliveryStreamName="sweep", Record={"Data": b"d"}))
    swept("firehose", "PutRecordBatch", lambda: fh.put_record_batch(DeliveryStreamName="sweep", Records=[{"Data": b"d"}]))

    ecr = client("ecr", gw)
    swept("ecr", "CreateRepository", lambda: ecr.create_repository(repositoryName="sweep", tags=[{"Key": "a", "Value": "b"}]))
    swept("ecr", "DescribeRepositories", lambda: ecr.describe_repositories())
    swept("ecr", "GetAuthorizationToken", lambda: ecr.get_authorization_token())
    swept("ecr", "ListImages", lambda: ecr.list_images(repositoryName="sweep"))
    swept("ecr", "BatchGetImage", lambda: ecr.batch_get_image(repositoryName="sweep", imageIds=[{"imageTag": "latest"}]))
    swept("ecr", "DeleteRepository", lambda: ecr.delete_repository(repositoryName="sweep", force=True))

    ev = client("events", gw)
    swept("events", "PutRule", lambda: ev.put_rule(Name="sweep", ScheduleExpression="rate(5 minutes)", Tags=[{"Key": "a", "Value": "b"}]))
    swept("events", "PutTargets", lambda: ev.put_targets(Rule="sweep", Targets=[{"Id": "1", "Arn": f"arn:aws:sqs:us-east-1:{ACCOUNT}:jobs"}]))
    swept("events", "ListRules", lambda: ev.list_rules())
    swept("events", "DescribeRule", lambda: ev.describe_rule(Name="sweep"))
    swept("events", "PutEvents", lambda: ev.put_events(Entries=[{"Source": "sweep", "DetailType": "t", "Detail": "{}"}]))
    swept("events", "RemoveTargets", lambda: ev.remove_targets(Rule="sweep", Ids=["1"]))
    swept("events", "DeleteRule", lambda: ev.delete_rule(Name="sweep"))
    swept("events", "CreateEventBus", lambda: ev.create_event_bus(Name="sweep"))

    from collections import Counter
    counts = Counter(r[2] for r in sweep_results)
    print(f"sweep: {len(sweep_results)} calls: " + ", ".join(f"{k} {v}" for k, v in sorted(counts.items())))
    for service in sorted({r[0] for r in sweep_results}):
        c = Counter(r[2] for r in sweep_results if r[0] == service)
        print(f"  {service}: " + ", ".join(f"{k} {v}" for k, v in sorted(c.items())))
    return [r for r in sweep_results if r[5]]


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
    unexpected = sweep(a.gateway, a.upstream)
    n, bad = bypasses(a.gateway, a.upstream)
    print(f"real clients: {len(failures)} unexpected answers; sweep: {len(unexpected)} denied or allowed against the policy; bypass attempts: {n}, {len(bad)} reached the upstream")
    sys.exit(1 if failures or bad or unexpected else 0)


if __name__ == "__main__":
    main()
