"""Test helper: runs batches of boto3 calls against a moto endpoint.

One batch per line on stdin, one answer per line on stdout, until stdin closes: the harness keeps one
process per test file, so Python and boto3 start once (about 3 s on a loaded 2-core machine), not per call.
request: {"endpoint": URL, "region": R, "ops": [{"client": "s3", "method": "head_object", "args": {...},
          "ok": ["NoSuchKey", ...]}]}
answer:  {"results": [...]} one entry per op: the response (bodies read as text), or {"error": code} when
         the call failed with one of the codes listed in "ok"; or {"failure": message} for any other error.

It also runs a command-line script's `main(argv)` in this process, so a suite that runs backup_state.py
many times pays for Python and boto3 once (each own-process run costs ~0.5 s of CPU):
request: {"script": PATH, "argv": [...], "cwd": DIR, "env": {NAME: VALUE}}
answer:  {"script": {"code": N, "stdout": "...", "stderr": "..."}} — what the script's process would have
         ended with: main()'s return value, SystemExit's code (argparse), or 1 and the traceback for an
         uncaught exception, as the interpreter does.
"""

import contextlib
import importlib.util
import io
import json
import os
import sys
import traceback

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


SCRIPTS: dict = {}


def run_script(request: dict) -> dict:
    path = request["script"]
    if path not in SCRIPTS:
        spec = importlib.util.spec_from_file_location(f"script_{len(SCRIPTS)}", path)
        module = importlib.util.module_from_spec(spec)
        sys.modules[spec.name] = module  # dataclasses look their module up there
        spec.loader.exec_module(module)
        SCRIPTS[path] = module
    module = SCRIPTS[path]
    saved_env, saved_cwd = dict(os.environ), os.getcwd()
    out, err = io.StringIO(), io.StringIO()
    os.environ.clear()
    os.environ.update(request.get("env", {}))
    os.chdir(request.get("cwd", saved_cwd))
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            try:
                code = module.main(request["argv"])
            except SystemExit as exit_:
                code = exit_.code if isinstance(exit_.code, int) else (0 if exit_.code is None else 1)
                if exit_.code is not None and not isinstance(exit_.code, int):
                    print(exit_.code, file=sys.stderr)
            except Exception:  # noqa: BLE001 - what the interpreter does with an uncaught exception
                traceback.print_exc()
                code = 1
    finally:
        os.chdir(saved_cwd)
        os.environ.clear()
        os.environ.update(saved_env)
    return {"script": {"code": code or 0, "stdout": out.getvalue(), "stderr": err.getvalue()}}


def main() -> int:
    for line in sys.stdin:
        if not line.strip():
            continue
        try:
            request = json.loads(line)
            answer = run_script(request) if "script" in request else run(request)
        except Exception as err:  # noqa: BLE001 - reported to the test, which fails with it
            answer = {"failure": f"{type(err).__name__}: {err}"}
        sys.stdout.write(json.dumps(answer, default=str) + "\n")
        sys.stdout.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main())
