"""Test helper: runs a batch of boto3 calls against a moto endpoint, one Python start-up per batch.

stdin: {"endpoint": URL, "region": R, "ops": [{"client": "s3", "method": "head_object", "args": {...},
        "ok": ["NoSuchKey", ...]}]}
stdout: a JSON list, one entry per op: the response (bodies read as text), or {"error": code} when the
        call failed with one of the codes listed in "ok". Any other failure exits 1 with the message.
"""

import json
import sys

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError


def main() -> int:
    request = json.load(sys.stdin)
    config = Config(s3={"addressing_style": "path"}, retries={"max_attempts": 2})
    clients = {}
    results = []
    for op in request["ops"]:
        name = op["client"]
        if name not in clients:
            clients[name] = boto3.client(
                name,
                endpoint_url=request["endpoint"],
                region_name=request.get("region", "eu-west-1"),
                aws_access_key_id="test",
                aws_secret_access_key="test",
                config=config,
            )
        args = dict(op.get("args", {}))
        if "Body" in args and isinstance(args["Body"], str):
            args["Body"] = args["Body"].encode("utf-8")
        try:
            response = getattr(clients[name], op["method"])(**args)
        except ClientError as err:
            code = err.response.get("Error", {}).get("Code", "?")
            if code in op.get("ok", []):
                results.append({"error": code})
                continue
            print(f"{op['client']}.{op['method']}({json.dumps(op.get('args', {}))}) failed: {err}", file=sys.stderr)
            return 1
        response.pop("ResponseMetadata", None)
        if "Body" in response:
            response["Body"] = response["Body"].read().decode("utf-8", "replace")
        results.append(response)
    json.dump(results, sys.stdout, default=str)
    return 0


if __name__ == "__main__":
    sys.exit(main())
