// @tier integration — cdktf validates import blocks by running `terraform version`.
/**
 * docs/runbooks/state-surgery.md, the cdktf way: each helper the runbook uses, and the block it
 * must put in the synthesized Terraform JSON. (The same blocks are planned and applied by a real
 * engine in packages/state-tools/test/state-surgery.test.ts.)
 */
import { S3Bucket } from '@cdktf/provider-aws/lib/s3-bucket';
import { type EnvironmentConfig } from '@platform/config';
import { EnvironmentStack } from '@platform/stack-factory';
import { environmentFixture, synthJson } from '@platform/testing';
import { App } from 'cdktf';
import { Construct } from 'constructs';

/** An environment stack for the examples, from the real stack factory (backend, provider, tags). */
class ExampleStack extends EnvironmentStack {
  constructor(scope: Construct, env: EnvironmentConfig) {
    super(scope, env, 'example');
  }
}

const stack = () => new ExampleStack(new App(), environmentFixture());

describe('state surgery helpers (synthesized output)', () => {
  test('GIVEN a construct renamed and the new one given moveFromId(old address) WHEN synthesized THEN a moved block maps the old address to the new one and only the new resource is emitted', () => {
    const s = stack();
    // Before: new S3Bucket(s, 'Archive', …) → aws_s3_bucket.Archive. After: grouped under Logs/Resource.
    const bucket = new S3Bucket(new Construct(s, 'Logs'), 'Resource', { bucket: 'acme-dev-logs' });
    bucket.moveFromId('aws_s3_bucket.Archive');
    const json = synthJson(s);
    const newId = Object.keys(json.resource?.aws_s3_bucket ?? {})[0]!;
    expect(newId).toMatch(/^Logs_[0-9A-F]{8}$/);
    expect(json.moved).toEqual([{ from: 'aws_s3_bucket.Archive', to: `aws_s3_bucket.${newId}` }]);
  });

  test('GIVEN the old construct kept with moveTo(target) and the new one with addMoveTarget(target) WHEN synthesized THEN a moved block is emitted and the old resource is not', () => {
    const s = stack();
    const old = new S3Bucket(s, 'Archive', { bucket: 'acme-dev-logs' });
    const renamed = new S3Bucket(new Construct(s, 'Logs'), 'Resource', { bucket: 'acme-dev-logs' });
    renamed.addMoveTarget('logs-bucket');
    old.moveTo('logs-bucket');
    const json = synthJson(s);
    const ids = Object.keys(json.resource?.aws_s3_bucket ?? {});
    expect(ids).toHaveLength(1);
    expect(json.moved).toEqual([{ from: 'aws_s3_bucket.Archive', to: `aws_s3_bucket.${ids[0]}` }]);
  });

  test('GIVEN moveToId(new address) on the old construct WHEN synthesized THEN a moved block points at that address', () => {
    const s = stack();
    new S3Bucket(s, 'Archive', { bucket: 'acme-dev-logs' }).moveToId('aws_s3_bucket.Logs');
    const json = synthJson(s);
    expect(json.moved).toEqual([{ from: 'aws_s3_bucket.Archive', to: 'aws_s3_bucket.Logs' }]);
    expect(json.resource?.aws_s3_bucket).toBeUndefined();
  });

  test('GIVEN importFrom(id) on a resource WHEN synthesized THEN an import block targets it', () => {
    const s = stack();
    new S3Bucket(s, 'Existing', { bucket: 'acme-dev-existing' }).importFrom('acme-dev-existing');
    const json = synthJson(s);
    expect(json.import).toEqual([{ id: 'acme-dev-existing', to: 'aws_s3_bucket.Existing' }]);
    expect(json).toHaveResourceDeep('aws_s3_bucket', { bucket: 'acme-dev-existing' });
  });

  test('GIVEN the removed-block escape hatch (cdktf 0.21 has no helper) WHEN synthesized THEN a removed block with destroy = false is emitted', () => {
    const s = stack();
    s.addOverride('removed', [{ from: 'aws_s3_bucket.Legacy', lifecycle: { destroy: false } }]);
    const json = synthJson(s);
    expect(json.removed).toEqual([{ from: 'aws_s3_bucket.Legacy', lifecycle: { destroy: false } }]);
    expect(json.resource).toBeUndefined();
  });

  test('GIVEN the stack factory WHEN any of these blocks are added THEN the backend and provider are unchanged', () => {
    const plain = synthJson(stack());
    const s = stack();
    new S3Bucket(s, 'Existing', { bucket: 'acme-dev-existing' }).importFrom('acme-dev-existing');
    s.addOverride('removed', [{ from: 'aws_s3_bucket.Legacy', lifecycle: { destroy: false } }]);
    const json = synthJson(s);
    expect(json.terraform).toEqual(plain.terraform);
    expect(json.provider).toEqual(plain.provider);
  });
});
