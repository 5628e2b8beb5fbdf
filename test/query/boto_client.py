"""A Query-protocol SQS client for the tests: boto3/botocore 1.34.89 (SQS still on Query), run
as a line server. Each stdin line is a JSON request {"op": "SendMessage", "params": {...}} (or
{"op": "__wire__"} for the last request's raw form body); each stdout line is
{"ok": response} or {"error": {"Code", "Message", "Type", "HTTPStatusCode"}}.

JSON cannot carry bytes: {"__bytes": "<base64>"} stands for bytes both ways.

botocore itself does not check SQS's MD5s, so this does, the way the AWS SDKs for Java and .NET
do: MD5OfMessageBody / MD5OfBody against the body, MD5OfMessageAttributes against the
attributes; a mismatch is reported as {"error": {"Code": "MD5Mismatch", ...}}.
"""

import base64
import hashlib
import json
import struct
import sys

import boto3
import botocore
from botocore.config import Config
from botocore.exceptions import ClientError

endpoint = sys.argv[1]
client = boto3.client(
    "sqs",
    endpoint_url=endpoint,
    region_name="us-east-1",
    aws_access_key_id="test",
    aws_secret_access_key="test",
    config=Config(retries={"max_attempts": 1}, read_timeout=60, parameter_validation=False),
)
protocol = client.meta.service_model.metadata["protocol"]
last_body = {"body": None}


def capture(request, **_):
    body = request.body
    if isinstance(body, bytes):
        body = body.decode("utf-8")
    last_body["body"] = body


client.meta.events.register("before-send.sqs.*", capture)


def to_py(v):
    if isinstance(v, dict):
        if set(v) == {"__bytes"}:
            return base64.b64decode(v["__bytes"])
        return {k: to_py(x) for k, x in v.items()}
    if isinstance(v, list):
        return [to_py(x) for x in v]
    return v


def to_json(v):
    if isinstance(v, (bytes, bytearray)):
        return {"__bytes": base64.b64encode(v).decode()}
    if isinstance(v, dict):
        return {k: to_json(x) for k, x in v.items()}
    if isinstance(v, list):
        return [to_json(x) for x in v]
    if hasattr(v, "isoformat"):
        return v.isoformat()
    return v


def md5_of_attributes(attrs):
    h = hashlib.md5()
    for name in sorted(attrs):
        a = attrs[name]
        t = a["DataType"]
        for part in (name.encode(), t.encode()):
            h.update(struct.pack(">I", len(part)) + part)
        if "StringValue" in a:
            v = a["StringValue"].encode()
            h.update(b"\x01" + struct.pack(">I", len(v)) + v)
        else:
            v = a["BinaryValue"]
            if isinstance(v, str):
                v = v.encode()
            h.update(b"\x02" + struct.pack(">I", len(v)) + v)
    return h.hexdigest()


def md5(s):
    return hashlib.md5(s.encode()).hexdigest()


class Mismatch(Exception):
    pass


def expect(what, got, want):
    if got != want:
        raise Mismatch(f"{what}: server sent {got}, expected {want}")


def verify(op, params, out):
    if op == "SendMessage":
        expect("MD5OfMessageBody", out.get("MD5OfMessageBody"), md5(params["MessageBody"]))
        if params.get("MessageAttributes"):
            expect("MD5OfMessageAttributes", out.get("MD5OfMessageAttributes"), md5_of_attributes(params["MessageAttributes"]))
    elif op == "SendMessageBatch":
        entries = {e["Id"]: e for e in params.get("Entries", [])}
        for r in out.get("Successful", []):
            e = entries[r["Id"]]
            expect(f"{r['Id']} MD5OfMessageBody", r.get("MD5OfMessageBody"), md5(e["MessageBody"]))
            if e.get("MessageAttributes"):
                expect(f"{r['Id']} MD5OfMessageAttributes", r.get("MD5OfMessageAttributes"), md5_of_attributes(e["MessageAttributes"]))
    elif op == "ReceiveMessage":
        for m in out.get("Messages", []):
            expect("MD5OfBody", m.get("MD5OfBody"), md5(m["Body"]))
            if m.get("MessageAttributes"):
                expect("MD5OfMessageAttributes", m.get("MD5OfMessageAttributes"), md5_of_attributes(m["MessageAttributes"]))


def handle(req):
    op = req["op"]
    if op == "__info__":
        return {"ok": {"protocol": protocol, "botocore": botocore.__version__, "boto3": boto3.__version__}}
    if op == "__wire__":
        return {"ok": {"body": last_body["body"]}}
    params = to_py(req.get("params") or {})
    method = getattr(client, botocore.xform_name(op))
    try:
        out = method(**params)
    except ClientError as e:
        err = e.response.get("Error", {})
        meta = e.response.get("ResponseMetadata", {})
        return {"error": {
            "Code": err.get("Code"),
            "Message": err.get("Message"),
            "Type": err.get("Type"),
            "HTTPStatusCode": meta.get("HTTPStatusCode"),
            "RequestId": meta.get("RequestId"),
        }}
    out.pop("ResponseMetadata", None)
    try:
        verify(op, params, out)
    except Mismatch as e:
        return {"error": {"Code": "MD5Mismatch", "Message": str(e)}}
    return {"ok": to_json(out)}


for line in sys.stdin:
    line = line.strip()
    if not line:
        continue
    try:
        res = handle(json.loads(line))
    except Exception as e:  # a client-side failure (parse error, bad params): report, go on
        res = {"error": {"Code": "ClientSide", "Message": f"{type(e).__name__}: {e}"}}
    sys.stdout.write(json.dumps(res) + "\n")
    sys.stdout.flush()
