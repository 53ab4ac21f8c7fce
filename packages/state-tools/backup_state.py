#!/usr/bin/env python3
"""Back up Terraform/OpenTofu state objects into the backup bucket, list backups, restore one.

Design
  * The backup bucket (`<state bucket>-backup`, created by the StateBackend construct) is versioned.
    A backup copies the latest version of every `*.tfstate` object in the state bucket to the SAME
    key in the backup bucket, so each run adds one backup version per changed state. Unchanged states
    (same source version id as the newest backup) are skipped, so running it daily costs nothing
    when nothing changed. Each copy carries metadata: source-bucket, source-version-id,
    source-last-modified, backed-up-at. The backup bucket's non-current versions expire with its
    lifecycle rule (365 days by default).
  * Every copy is read back and compared byte for byte.
  * Restore picks a backup version (newest, newest at or before --before, or --version-id), checks it
    is a state file, refuses while the state is locked (unless --force), writes it to the state key
    and, when the stack locks with DynamoDB, stores the new MD5 digest the S3 backend checks on
    read (without that, every tofu run would fail with "state data in S3 does not have the expected
    content").
  * With --env, only that environment's keys (`<env>/`): the CI backup role of an environment may read
    and write nothing else (modules/ci-identity `backupStatements`). `bootstrap.tfstate` belongs to the
    administrator; S3 replication backs it up (and every version of every state) into the backup region.
    This copy is the verified second path, and seeds keys written before replication was configured.
  * Uploads ask for each bucket's default encryption explicitly (the bucket policy denies uploads
    without an encryption header).

Buckets come from the environment files: `--env NAME` runs
`tsx packages/state-tools/src/state-buckets.ts` (or reads --buckets-json, its saved output);
`--state-bucket/--backup-bucket/--lock-table/--region` name them directly instead.

Usage (from the repository root, with AWS credentials for the environment's account):
  .tools/venv/bin/python packages/state-tools/backup_state.py backup  --env dev
  .tools/venv/bin/python packages/state-tools/backup_state.py list    --env dev [--key dev/services.tfstate]
  .tools/venv/bin/python packages/state-tools/backup_state.py restore --env dev --key dev/services.tfstate \
      [--version-id ID | --before 2026-01-31T00:00:00Z] [--dry-run] [--force]
Each command prints a JSON summary on stdout; errors go to stderr with exit code 1 (2 for usage).
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Optional

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

REPO_ROOT = Path(__file__).resolve().parents[2]
STATE_SUFFIX = ".tfstate"
LOCKFILE_SUFFIX = ".tflock"
DIGEST_SUFFIX = "-md5"


class Failure(Exception):
    """A problem the user can fix; printed without a traceback."""


@dataclass(frozen=True)
class Buckets:
    state_bucket: str
    backup_bucket: str
    region: str
    lock_table: Optional[str]
    # The backup bucket lives in another region (modules/state-backend); the state bucket's when unnamed.
    backup_region: Optional[str] = None
    # With --env, only that environment's state (`<env>/`): what its backup role may read and write.
    prefix: str = ""

    @property
    def backups_in(self) -> str:
        return self.backup_region or self.region


# ---------------------------------------------------------------- bucket resolution


def resolve_buckets(args: argparse.Namespace) -> Buckets:
    if args.state_bucket:
        if not args.region:
            raise Failure("--state-bucket needs --region")
        return Buckets(args.state_bucket, args.backup_bucket or f"{args.state_bucket}-backup", args.region, args.lock_table, args.backup_region, args.prefix or "")
    if not args.env:
        raise Failure("name the environment (--env dev) or the buckets (--state-bucket NAME --region REGION)")
    if args.buckets_json:
        data = json.loads(Path(args.buckets_json).read_text(encoding="utf-8"))
    else:
        data = read_state_buckets(args.env_dir)
    if args.env not in data:
        raise Failure(f'--env "{args.env}": no such environment — choose from {", ".join(sorted(data))}')
    entry = data[args.env]
    return Buckets(
        entry["stateBucket"],
        args.backup_bucket or entry["backupBucket"],
        args.region or entry["region"],
        args.lock_table if args.lock_table is not None else entry.get("lockTable"),
        args.backup_region or entry.get("backupRegion"),
        args.prefix if args.prefix is not None else entry.get("stateKeyPrefix", f"{args.env}/"),
    )


def read_state_buckets(env_dir: Optional[str]) -> dict[str, Any]:
    tsx = REPO_ROOT / "node_modules" / ".bin" / "tsx"
    command = [str(tsx), str(REPO_ROOT / "packages" / "state-tools" / "src" / "state-buckets.ts")]
    if env_dir:
        command += ["--env-dir", str(Path(env_dir).resolve())]
    try:
        done = subprocess.run(command, cwd=REPO_ROOT, capture_output=True, text=True, check=False, timeout=120)
    except FileNotFoundError as err:
        raise Failure(f"cannot run {tsx} — run `npm ci` first, or pass --buckets-json") from err
    if done.returncode != 0:
        raise Failure(f"state-buckets.ts failed:\n{done.stderr.strip()}")
    return json.loads(done.stdout)


# ---------------------------------------------------------------- AWS helpers


def clients(region: str, endpoint_url: Optional[str]):
    config = Config(retries={"max_attempts": 5, "mode": "standard"})
    kwargs: dict[str, Any] = {"region_name": region, "config": config}
    if endpoint_url:
        kwargs["endpoint_url"] = endpoint_url
        config = config.merge(Config(s3={"addressing_style": "path"}))
        kwargs["config"] = config
    return boto3.client("s3", **kwargs), boto3.client("dynamodb", **kwargs)


def encryption_args(s3, bucket: str) -> dict[str, str]:
    """The bucket's default encryption, as explicit PutObject/CopyObject arguments."""
    try:
        rules = s3.get_bucket_encryption(Bucket=bucket)["ServerSideEncryptionConfiguration"]["Rules"]
    except ClientError as err:
        if err.response.get("Error", {}).get("Code") == "ServerSideEncryptionConfigurationNotFoundError":
            return {"ServerSideEncryption": "AES256"}
        raise
    default = (rules[0] if rules else {}).get("ApplyServerSideEncryptionByDefault", {})
    if default.get("SSEAlgorithm", "").startswith("aws:kms"):
        args = {"ServerSideEncryption": default["SSEAlgorithm"]}
        if default.get("KMSMasterKeyID"):
            args["SSEKMSKeyId"] = default["KMSMasterKeyID"]
        return args
    return {"ServerSideEncryption": "AES256"}


def state_keys(s3, bucket: str, prefix: str = "") -> list[str]:
    """Every `*.tfstate` key under prefix. The backup role may list only `<env>/` (an `s3:prefix` condition)."""
    keys: list[str] = []
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
        keys.extend(o["Key"] for o in page.get("Contents", []) if o["Key"].endswith(STATE_SUFFIX))
    return sorted(keys)


def read_object(s3, bucket: str, key: str, version_id: Optional[str] = None) -> bytes:
    kwargs = {"Bucket": bucket, "Key": key}
    if version_id:
        kwargs["VersionId"] = version_id
    return s3.get_object(**kwargs)["Body"].read()


def head_or_none(s3, bucket: str, key: str) -> Optional[dict[str, Any]]:
    try:
        return s3.head_object(Bucket=bucket, Key=key)
    except ClientError as err:
        if err.response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "NotFound"):
            return None
        raise


def iso(value: Any) -> str:
    return value.astimezone(dt.timezone.utc).isoformat().replace("+00:00", "Z") if isinstance(value, dt.datetime) else str(value)


# ---------------------------------------------------------------- commands


def backup(b: Buckets, endpoint_url: Optional[str]) -> dict[str, Any]:
    s3, _ = clients(b.region, endpoint_url)
    s3b, _ = clients(b.backups_in, endpoint_url)
    sse = encryption_args(s3b, b.backup_bucket)
    now = iso(dt.datetime.now(dt.timezone.utc))
    copied, unchanged = [], []
    # Which copies exist, from a listing of the prefix: a HEAD of a missing key answers 403, not 404, to a
    # role whose ListBucket is limited to a prefix, so only existing keys are read.
    existing = set(state_keys(s3b, b.backup_bucket, b.prefix))
    for key in state_keys(s3, b.state_bucket, b.prefix):
        source = s3.head_object(Bucket=b.state_bucket, Key=key)
        version = source.get("VersionId") or "null"
        previous = s3b.head_object(Bucket=b.backup_bucket, Key=key) if key in existing else None
        if previous and previous.get("Metadata", {}).get("source-version-id") == version:
            unchanged.append(key)
            continue
        original = read_object(s3, b.state_bucket, key, version if version != "null" else None)
        # A put with a checksum, not a server-side copy: the backup bucket is in another region and under
        # Object Lock, which requires Content-MD5 or a checksum on every write.
        result = s3b.put_object(
            Bucket=b.backup_bucket,
            Key=key,
            Body=original,
            ContentType="application/json",
            ChecksumAlgorithm="SHA256",
            Metadata={
                "source-bucket": b.state_bucket,
                "source-version-id": version,
                "source-last-modified": iso(source["LastModified"]),
                "backed-up-at": now,
            },
            **sse,
        )
        backup_version = result.get("VersionId")
        if read_object(s3b, b.backup_bucket, key, backup_version) != original:
            raise Failure(f"backup of s3://{b.state_bucket}/{key} does not read back identical — backup bucket left with a bad version {backup_version}")
        copied.append({"key": key, "sourceVersionId": version, "backupVersionId": backup_version, "sha256": hashlib.sha256(original).hexdigest()})
    return {"command": "backup", "stateBucket": b.state_bucket, "backupBucket": b.backup_bucket, "copied": copied, "unchanged": unchanged}


def backup_versions(s3, bucket: str, key: str) -> list[dict[str, Any]]:
    versions: list[dict[str, Any]] = []
    for page in s3.get_paginator("list_object_versions").paginate(Bucket=bucket, Prefix=key):
        versions.extend(v for v in page.get("Versions", []) if v["Key"] == key)
    return sorted(versions, key=lambda v: v["LastModified"], reverse=True)


def list_backups(b: Buckets, endpoint_url: Optional[str], key: Optional[str]) -> dict[str, Any]:
    s3, _ = clients(b.backups_in, endpoint_url)
    keys = [key] if key else state_keys(s3, b.backup_bucket, b.prefix)
    out = []
    for k in keys:
        for v in backup_versions(s3, b.backup_bucket, k):
            meta = s3.head_object(Bucket=b.backup_bucket, Key=k, VersionId=v["VersionId"]).get("Metadata", {})
            out.append({"key": k, "versionId": v["VersionId"], "lastModified": iso(v["LastModified"]), "isLatest": v["IsLatest"], "sourceVersionId": meta.get("source-version-id")})
    return {"command": "list", "backupBucket": b.backup_bucket, "versions": out}


def parse_time(text: str) -> dt.datetime:
    try:
        value = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError as err:
        raise Failure(f'--before "{text}" is not an ISO 8601 time — use e.g. 2026-01-31T00:00:00Z') from err
    return value if value.tzinfo else value.replace(tzinfo=dt.timezone.utc)


def lock_holder(s3, dynamodb, b: Buckets, key: str) -> Optional[str]:
    """Who holds the state's lock (DynamoDB item or S3 lockfile), or None."""
    if b.lock_table:
        item = dynamodb.get_item(TableName=b.lock_table, Key={"LockID": {"S": f"{b.state_bucket}/{key}"}}, ConsistentRead=True).get("Item")
        if item:
            return f"DynamoDB {b.lock_table}: {item.get('Info', {}).get('S', '?')}"
    lockfile = head_or_none(s3, b.state_bucket, key + LOCKFILE_SUFFIX)
    if lockfile:
        return f"s3://{b.state_bucket}/{key}{LOCKFILE_SUFFIX}: {read_object(s3, b.state_bucket, key + LOCKFILE_SUFFIX).decode('utf-8', 'replace')}"
    return None


def restore(b: Buckets, endpoint_url: Optional[str], key: str, version_id: Optional[str], before: Optional[str], dry_run: bool, force: bool) -> dict[str, Any]:
    if not key.endswith(STATE_SUFFIX):
        raise Failure(f'--key "{key}" is not a state key — use "<env>/<stack>.tfstate", e.g. "dev/services.tfstate"')
    s3, dynamodb = clients(b.region, endpoint_url)
    s3b, _ = clients(b.backups_in, endpoint_url)
    versions = backup_versions(s3b, b.backup_bucket, key)
    if not versions:
        raise Failure(f"no backup of {key} in s3://{b.backup_bucket} — list them with: backup_state.py list --key {key}")
    if version_id:
        chosen = next((v for v in versions if v["VersionId"] == version_id), None)
        if not chosen:
            raise Failure(f'--version-id "{version_id}" is not a backup version of {key} — choose from {", ".join(v["VersionId"] for v in versions[:10])}')
    elif before:
        limit = parse_time(before)
        chosen = next((v for v in versions if v["LastModified"] <= limit), None)
        if not chosen:
            raise Failure(f"no backup of {key} was taken at or before {before} — the oldest is from {iso(versions[-1]['LastModified'])}")
    else:
        chosen = versions[0]
    # A locked version can be read (and restored from) like any other: Object Lock only stops deletion.
    body = read_object(s3b, b.backup_bucket, key, chosen["VersionId"])
    try:
        state = json.loads(body)
        serial, lineage = state["serial"], state["lineage"]
    except (ValueError, KeyError, TypeError) as err:
        raise Failure(f"backup version {chosen['VersionId']} of {key} is not a Terraform state file (no serial/lineage)") from err
    summary = {
        "command": "restore",
        "stateBucket": b.state_bucket,
        "key": key,
        "backupVersionId": chosen["VersionId"],
        "backupLastModified": iso(chosen["LastModified"]),
        "serial": serial,
        "lineage": lineage,
        "dryRun": dry_run,
    }
    holder = lock_holder(s3, dynamodb, b, key)
    if holder and not force:
        raise Failure(f"{key} is locked ({holder}) — wait for the run to finish, or release a stale lock with `tofu force-unlock` first (or pass --force)")
    if dry_run:
        return summary
    put = s3.put_object(Bucket=b.state_bucket, Key=key, Body=body, ContentType="application/json", **encryption_args(s3, b.state_bucket))
    if b.lock_table:
        dynamodb.put_item(
            TableName=b.lock_table,
            Item={"LockID": {"S": f"{b.state_bucket}/{key}{DIGEST_SUFFIX}"}, "Digest": {"S": hashlib.md5(body).hexdigest()}},  # noqa: S324 — the S3 backend's own digest
        )
    summary["stateVersionId"] = put.get("VersionId")
    summary["digestUpdated"] = bool(b.lock_table)
    return summary


# ---------------------------------------------------------------- CLI


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="backup_state.py", description=__doc__.split("\n\n")[0])
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--env", help="environment whose buckets to use (from envs/ via state-buckets.ts)")
    common.add_argument("--env-dir", help="folder of environment files for --env (default: envs)")
    common.add_argument("--buckets-json", help="saved output of state-buckets.ts, instead of running it")
    common.add_argument("--state-bucket", help="state bucket (instead of --env)")
    common.add_argument("--backup-bucket", help="backup bucket (default: <state bucket>-backup)")
    common.add_argument("--lock-table", help="DynamoDB lock table (default: the environment's)")
    common.add_argument("--region", help="region of the state bucket (default: the environment's)")
    common.add_argument("--prefix", help='state keys to back up or list (default with --env: "<env>/", the environment\'s own; else every key)')
    common.add_argument("--backup-region", help="region of the backup bucket (default: the environment's state.backup.region, else --region)")
    common.add_argument("--endpoint-url", default=os.environ.get("AWS_ENDPOINT_URL"), help="S3/DynamoDB endpoint (tests); default $AWS_ENDPOINT_URL")
    sub = p.add_subparsers(dest="command", required=True)
    sub.add_parser("backup", parents=[common], help="copy every *.tfstate object into the backup bucket")
    ls = sub.add_parser("list", parents=[common], help="list backup versions")
    ls.add_argument("--key", help="only this state key")
    rs = sub.add_parser("restore", parents=[common], help="restore one state key from a backup version")
    rs.add_argument("--key", required=True, help='state key, e.g. "dev/services.tfstate"')
    which = rs.add_mutually_exclusive_group()
    which.add_argument("--version-id", help="backup version to restore (default: the newest)")
    which.add_argument("--before", help="restore the newest backup taken at or before this ISO 8601 time")
    rs.add_argument("--dry-run", action="store_true", help="show what would be restored, change nothing")
    rs.add_argument("--force", action="store_true", help="restore even while the state is locked")
    return p


def main(argv: Optional[list[str]] = None) -> int:
    args = parser().parse_args(argv)
    try:
        b = resolve_buckets(args)
        if args.command == "backup":
            result = backup(b, args.endpoint_url)
        elif args.command == "list":
            result = list_backups(b, args.endpoint_url, args.key)
        else:
            result = restore(b, args.endpoint_url, args.key, args.version_id, args.before, args.dry_run, args.force)
    except Failure as err:
        print(f"backup_state.py {args.command}: {err}", file=sys.stderr)
        return 1
    except (ClientError, BotoCoreError) as err:
        print(f"backup_state.py {args.command}: AWS error: {err}", file=sys.stderr)
        return 1
    print(json.dumps(result, indent=2, sort_keys=True))
    return 0


if __name__ == "__main__":
    sys.exit(main())
