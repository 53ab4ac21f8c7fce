import { type ParsedFile } from '../loader';
import { type EnvironmentConfig } from '../schema';

/** One environment file that loaded, with what the cross-environment rules need to point at lines. */
export interface LoadedEnvironment {
  readonly config: EnvironmentConfig;
  readonly layer: ParsedFile;
  readonly base: ParsedFile | undefined;
  readonly merged: Record<string, unknown>;
  /** `file:line` where a field is set (the base file, naming this file, when inherited). */
  readonly where: (keys: ReadonlyArray<PropertyKey>) => string;
}

/** A rule across environment files, reported against one environment's field. */
export interface CrossEnvironmentIssue {
  readonly environment: string;
  readonly path: ReadonlyArray<string | number>;
  readonly value?: unknown;
  readonly message: string;
}

/**
 * Rules no single file can break: environments that would collide in AWS or DNS, and the promotion
 * waves. A value two environments share is reported once, against the later one in promotion order
 * (wave, then name), naming the file and line of the other. `complete` says every file loaded, so
 * rules over the whole set (waves without gaps) can run.
 */
export function crossEnvironmentIssues(
  loaded: readonly LoadedEnvironment[],
  options: { readonly complete: boolean },
): CrossEnvironmentIssue[] {
  const issues: CrossEnvironmentIssue[] = [];
  const ordered = [...loaded].sort(
    (a, b) => a.config.promotion.wave - b.config.promotion.wave || a.config.name.localeCompare(b.config.name),
  );

  /** Reports every environment whose value of `key(env)` an earlier environment already has. */
  const unique = (
    what: string,
    pick: (env: EnvironmentConfig) => Array<{ path: Array<string | number>; key: string | undefined; value: unknown }>,
    fix: string,
  ) => {
    const first = new Map<string, { env: LoadedEnvironment; path: Array<string | number> }>();
    for (const env of ordered) {
      for (const { path, key, value } of pick(env.config)) {
        if (key === undefined) continue;
        const owner = first.get(key);
        if (!owner) {
          first.set(key, { env, path });
        } else if (owner.env !== env) {
          issues.push({
            environment: env.config.name,
            path,
            value,
            message: `is also ${what} of ${owner.env.where(owner.path)} — ${fix}`,
          });
        }
      }
    }
  };

  unique('the hosted zone', (e) => [{ path: ['dns', 'zoneId'], key: e.dns.zoneId, value: e.dns.zoneId }], 'two environments cannot share a hosted zone; give each environment its own zone (dns.zoneName and dns.zoneId)');
  unique('the zone name', (e) => [{ path: ['dns', 'zoneName'], key: e.dns.zoneName, value: e.dns.zoneName }], 'two environments cannot share a DNS zone; use a zone of its own, e.g. "<env>.example.com"');
  unique(
    'a hostname',
    (e) => e.services.map((s, i) => ({ path: ['services', i, 'hostname'], key: s.hostname, value: s.hostname })),
    'one hostname can point at one environment only; use a name inside this environment\'s own zone',
  );
  unique('the cluster OIDC issuer', (e) => [{ path: ['cluster', 'oidcIssuer'], key: e.cluster.oidcIssuer, value: e.cluster.oidcIssuer }], 'each environment runs its own EKS cluster; set this environment\'s cluster.name and cluster.oidcIssuer');
  unique(
    'the cluster',
    (e) => [{ path: ['cluster', 'name'], key: `${e.aws.accountId}/${e.aws.region}/${e.cluster.name}`, value: e.cluster.name }],
    'each environment runs its own EKS cluster in its account and region; set this environment\'s cluster.name and cluster.oidcIssuer',
  );

  // A state bucket lives in one account and region: sharing it across accounts or regions cannot work.
  const buckets = new Map<string, LoadedEnvironment>();
  for (const env of ordered) {
    const { bucket, region } = env.config.state;
    const owner = buckets.get(bucket);
    if (!owner) {
      buckets.set(bucket, env);
      continue;
    }
    if (owner.config.aws.accountId !== env.config.aws.accountId) {
      issues.push({
        environment: env.config.name,
        path: ['state', 'bucket'],
        value: bucket,
        message: `is also the state bucket of ${owner.where(['state', 'bucket'])} in account ${owner.config.aws.accountId}, but this environment is in account ${env.config.aws.accountId} — a bucket lives in one account; use a bucket of this account, e.g. "<prefix>-${env.config.aws.accountId}-${region}"`,
      });
    } else if (owner.config.state.region !== region) {
      issues.push({
        environment: env.config.name,
        path: ['state', 'region'],
        value: region,
        message: `differs from ${owner.where(['state', 'region'])} (${JSON.stringify(owner.config.state.region)}), which keeps its state in the same bucket "${bucket}" — a bucket lives in one region`,
      });
    }
  }

  // A copied file that was never edited: say so plainly, beside the collisions above.
  const seen = new Map<string, LoadedEnvironment>();
  for (const env of ordered) {
    const key = stableJson(env.layer.data);
    const original = seen.get(key);
    if (original) {
      issues.push({
        environment: env.config.name,
        path: [],
        message: `has exactly the settings of ${original.layer.file} — it shares its account, hosted zone, hostnames, cluster and state bucket; set this environment's own aws.accountId, dns, cluster, state.bucket and service hostnames`,
      });
    } else seen.set(key, env);
  }

  if (options.complete) issues.push(...waveIssues(ordered));
  return issues;
}

/** Waves run in order from 1: every wave from 1 to the highest used must hold an environment. */
function waveIssues(ordered: readonly LoadedEnvironment[]): CrossEnvironmentIssue[] {
  const used = new Set(ordered.map((e) => e.config.promotion.wave));
  const issues: CrossEnvironmentIssue[] = [];
  if (used.size === 0) return issues;
  const highest = Math.max(...used);
  for (let wave = 1; wave < highest; wave++) {
    if (used.has(wave)) continue;
    const next = Math.min(...[...used].filter((w) => w > wave));
    for (const env of ordered.filter((e) => e.config.promotion.wave === next)) {
      issues.push({
        environment: env.config.name,
        path: ['promotion', 'wave'],
        value: next,
        message: `leaves wave ${wave} empty — waves run in order from 1 with no gaps; use ${wave}, or put an environment in wave ${wave}`,
      });
    }
  }
  return issues;
}

function stableJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(stableJson).join(',')}]`;
  if (value && typeof value === 'object') {
    return `{${Object.keys(value)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${stableJson((value as Record<string, unknown>)[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}
