"""Test helper: runs batches of boto3 calls against a moto endpoint.

One batch per line on stdin, one answer per line on stdout, until stdin closes: the harness keeps one
process per test file, so Python and boto3 start once (about 3 s on a loaded 2-core machine), not per call.
request: {"endpoint": URL, "region": R, "ops": [{"client": "s3", "method": "head_object", "args": {...},
          "ok": ["NoSuchKey", ...]}]}
answer:  {"results": [...]} one entry per op: the response (bodies read as text), or {"error": code} when
         the call failed with one of the codes listed in "ok"; or {"failure": message} for any other error.
"""

import json
import sys

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError


CONFIG = Config(s3={"addressing_style": "path"}, retries={"max_attempts": 2})
CLIENTS: dict = {}


def client(name: str, endpoint: str, region: str):
    key = (name, endpoint, region)
    if key not in CLIENTS:
        CLIENTS[key] = boto3.client(
            name,
            endpoint_url=endpoint,
            region_name=region,
            aws_access_key_id="test",
            aws_secret_access_key="test",
            config=CONFIG,
        )
    return CLIENTS[key]


def run(request: dict) -> dict:
    results = []
    for op in request["ops"]:
        name = op["client"]
        args = dict(op.get("args", {}))
        if "Body" in args and isinstance(args["Body"], str):
            args["Body"] = args["Body"].encode("utf-8")
        try:
            response = getattr(client(name, request["endpoint"], request.get("region", "eu-west-1")), op["method"])(**args)
        except ClientError as err:
            code = err.response.get("Error", {}).get("Code", "?")
            if code in op.get("ok", []):
                results.append({"error": code})
                continue
            return {"failure": f"{op['client']}.{op['method']}({json.dumps(op.get('args', {}))}) failed: {err}"}
        response.pop("ResponseMetadata", None)
        if "Body" in response:
            response["Body"] = response["Body"].read().decode("utf-8", "replace")
        results.append(response)
    return {"results": results}


def main() -> int:
    for line in sys.stdin:
        if not line.strip():
            continue
        try:
            answer = run(json.loads(line))
        except Exception as err:  # noqa: BLE001 - reported to the test, which fails with it
            answer = {"failure": f"{type(err).__name__}: {err}"}
        sys.stdout.write(json.dumps(answer, default=str) + "\n")
        sys.stdout.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main())
