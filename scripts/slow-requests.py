#!/usr/bin/env python3
"""Large requests against `iamspect serve` on loopback (docs/performance.md, "Large requests
over HTTP").

Starts the server (SERVER_BIN, default target/release/iamspect) on a free port and measures:

1. each request alone, under a long timeout: `/v1/authorize` of a 0.9 MB policy whose
   BAD_STATEMENTS (8,000) statements all fail to parse (a 400 listing every error),
   `/v1/explain` of a case with EXPLAIN_STATEMENTS (6,400, 0.9 MB) `Deny` statements that all
   apply, `/v1/lint` of a policy of LINT_STATEMENTS (3,400, 1 MB) statements with duplicate,
   unknown and covered entries;
2. two of the authorizations, then two of the explanations, at once, while `GET /healthz` is
   asked every 50 ms: the slowest `/healthz` answer;
3. CONCURRENT (4) explanations at once under `--timeout TIMEOUT` (1): when their answers come,
   and the server's CPU time in the 3 s after the last one (none once the work has stopped).

Usage: scripts/slow-requests.py   (SERVER_BIN=/path/to/iamspect to measure another build;
EXPLAIN_STATEMENTS=1600 to keep an older build's explanation under a minute)
Standard library only; Linux (reads /proc for CPU time).
"""

import http.client
import json
import os
import socket
import subprocess
import sys
import threading
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SERVER_BIN = os.environ.get("SERVER_BIN", os.path.join(ROOT, "target/release/iamspect"))
EXPLAIN_STATEMENTS = int(os.environ.get("EXPLAIN_STATEMENTS", "6400"))
LINT_STATEMENTS = int(os.environ.get("LINT_STATEMENTS", "3400"))
BAD_STATEMENTS = int(os.environ.get("BAD_STATEMENTS", "8000"))
TIMEOUT = int(os.environ.get("TIMEOUT", "1"))
CONCURRENT = int(os.environ.get("CONCURRENT", "4"))
CASE = (
    '{"principal": "arn:aws:iam::111122223333:user/alice", "action": "s3:GetObject", '
    '"resource": "arn:aws:s3:::logs/a", "identityPolicies": [%s]}'
)


def authorize_body():
    # RUN is replaced per request, so that no two requests send the same policy (the server
    # compiles each distinct policy text once).
    statements = [
        '{"Effect":"Allw","Action":"s3:GetObject","Resource":"*","Condition":{"StringEquals":{"aws:x":"RUN%d${zz"}}}' % i
        for i in range(BAD_STATEMENTS)
    ]
    return CASE % ('{"Version":"2012-10-17","Statement":[%s]}' % ",".join(statements))


def explain_body():
    statements = [
        '{"Sid": "D%d", "Effect": "Deny", "Action": ["s3:GetObject", "s3:PutObject"], '
        '"Resource": ["arn:aws:s3:::logs/*", "arn:aws:s3:::b%d/*"]}' % (i, i)
        for i in range(EXPLAIN_STATEMENTS)
    ]
    return CASE % ('{"Version": "2012-10-17", "Statement": [%s]}' % ", ".join(statements))


def lint_body():
    statements = [
        '{"Sid": "A%d", "Effect": "Allow", "Action": ["s3:GetObjekt", "s3:Put*", "iam:PassRole", '
        '"ec2:DescribeInstances", "s3:GetObjekt"], "Resource": ["arn:aws:s3:::logs/*", '
        '"arn:aws:s3:::logs/*", "*"], "Condition": {"StringLike": {"aws:SourceVpc": "vpc-%d"}}}' % (i, i)
        for i in range(LINT_STATEMENTS)
    ]
    policy = '{\n  "Version": "2012-10-17",\n  "Statement": [\n    %s\n  ]\n}' % ",\n    ".join(statements)
    return json.dumps({"policy": policy})


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    def __init__(self, timeout):
        self.port = free_port()
        self.proc = subprocess.Popen(
            [SERVER_BIN, "serve", "--bind", f"127.0.0.1:{self.port}", "--timeout", str(timeout)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            env={**os.environ, "RUST_LOG": "warn"},
        )
        for _ in range(100):
            try:
                self.request("GET", "/healthz")
                return
            except OSError:
                time.sleep(0.1)
        raise SystemExit("the server did not start")

    def request(self, method, path, body=None, timeout=900):
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)
        headers = {"Content-Type": "application/json"} if body is not None else {}
        conn.request(method, path, body=body, headers=headers)
        res = conn.getresponse()
        data = res.read()
        conn.close()
        return res.status, data

    def cpu_seconds(self):
        with open(f"/proc/{self.proc.pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def stop(self):
        self.proc.terminate()
        self.proc.wait()


RUN = iter(range(1_000_000))


def timed(server, path, body, start=None):
    start = start if start is not None else time.monotonic()
    run = next(RUN)
    if path != "/v1/lint":
        # A body of its own, so that no answer comes from the case cache.
        body = ('{"description": "run %d", ' % run + body[1:]).replace("RUN", "r%d-" % run)
    status, _ = server.request("POST", path, body)
    return status, time.monotonic() - start


def at_once(server, path, body, count, watch_health):
    """`count` requests at once; returns their (status, seconds) and the slowest /healthz."""
    results = []
    start = time.monotonic()
    threads = [
        threading.Thread(target=lambda: results.append(timed(server, path, body, start))) for _ in range(count)
    ]
    for t in threads:
        t.start()
    slowest = 0.0
    while watch_health and any(t.is_alive() for t in threads):
        t0 = time.monotonic()
        server.request("GET", "/healthz")
        slowest = max(slowest, time.monotonic() - t0)
        time.sleep(0.05)
    for t in threads:
        t.join()
    return sorted(results, key=lambda r: r[1]), slowest


def show(results):
    return ", ".join(f"{s} in {sec:.2f} s" for s, sec in results)


def main():
    authorize, explain, lint = authorize_body(), explain_body(), lint_body()
    print(f"server: {SERVER_BIN}")
    print(f"bodies: authorize {len(authorize):,} bytes ({BAD_STATEMENTS} bad statements), "
          f"explain {len(explain):,} bytes ({EXPLAIN_STATEMENTS} denies), lint {len(lint):,} bytes "
          f"({LINT_STATEMENTS} statements)")

    server = Server(timeout=900)
    try:
        for name, path, body in [("authorize", "/v1/authorize", authorize), ("explain", "/v1/explain", explain),
                                 ("lint", "/v1/lint", lint)]:
            status, seconds = timed(server, path, body)
            print(f"1. {name} alone: {status} in {seconds:.2f} s")
        for name, path, body in [("authorizations", "/v1/authorize", authorize),
                                 ("explanations", "/v1/explain", explain)]:
            results, slowest = at_once(server, path, body, 2, True)
            print(f"2. two {name} at once: {show(results)}; slowest /healthz meanwhile {slowest * 1000:.0f} ms")
    finally:
        server.stop()

    server = Server(timeout=TIMEOUT)
    try:
        results, _ = at_once(server, "/v1/explain", explain, CONCURRENT, False)
        before = server.cpu_seconds()
        time.sleep(3)
        after = server.cpu_seconds()
        print(f"3. {CONCURRENT} explanations at once under --timeout {TIMEOUT}: {show(results)}; "
              f"server CPU in the next 3 s: {after - before:.2f} s")
    finally:
        server.stop()


if __name__ == "__main__":
    sys.exit(main())
