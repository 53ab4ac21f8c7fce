import { parseAllDocuments } from 'yaml';
import { resources } from '../json';
import { findLiteralSecrets, isSecretKey } from '../secrets';
import { type Finding, type Rule } from '../types';

/** An exact chart version: semver, no ranges, no `latest`. */
export const EXACT_VERSION = /^v?\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?(\+[0-9A-Za-z.-]+)?$/;

export const chartVersionRule: Rule = {
  id: 'K8S-001',
  rationale: 'A floating chart version changes what is deployed without a change in review.',
  fix: 'Pin the chart to an exact version (HelmRelease rejects ranges and missing versions).',
  check: (ctx) =>
    resources(ctx, 'helm_release')
      .filter((r) => !(typeof r.body.chart === 'string' && !r.body.repository && r.body.chart.startsWith('.')) && !(typeof r.body.version === 'string' && EXACT_VERSION.test(r.body.version)))
      .map((r) => ({ path: r.path, message: `helm_release ${JSON.stringify(r.body.name)} has version ${JSON.stringify(r.body.version ?? null)}, not an exact version` })),
};

/** Parsed values texts: several rules read the same release, and YAML parsing dominates the gate's time. */
const parsedValues = new Map<string, readonly unknown[]>();

/** Parses every values document of a helm_release (strings with Terraform expressions are kept as-is). */
function valuesDocs(values: unknown): unknown[] {
  const docs: unknown[] = [];
  for (const text of Array.isArray(values) ? values : []) {
    if (typeof text !== 'string') continue;
    let parsed = parsedValues.get(text);
    if (!parsed) {
      if (parsedValues.size > 256) parsedValues.clear();
      parsed = parseAllDocuments(text).map((doc) => doc.toJS() as unknown);
      parsedValues.set(text, parsed);
    }
    docs.push(...parsed);
  }
  return docs;
}

export const helmSecretsRule: Rule = {
  id: 'K8S-002',
  rationale: 'Values end up in Terraform state, plan output and Helm release secrets in clear text.',
  fix: 'Deliver secrets through an ExternalSecret (Secrets Manager → Kubernetes Secret) or set_sensitive fed from a Secrets Manager data source.',
  check(ctx) {
    const findings: Finding[] = [];
    for (const r of resources(ctx, 'helm_release')) {
      for (const doc of valuesDocs(r.body.values)) {
        for (const s of findLiteralSecrets(doc)) findings.push({ path: r.path, message: `values hold a literal secret at ${s.path}` });
      }
      for (const entry of (r.body.set ?? []) as Record<string, unknown>[]) {
        const last = String(entry.name ?? '').split('.').pop() ?? '';
        if (isSecretKey(last) && typeof entry.value === 'string' && entry.value !== '' && !entry.value.includes('${')) {
          findings.push({ path: r.path, message: `set ${String(entry.name)} passes a literal secret; use set_sensitive from Secrets Manager` });
        }
      }
    }
    return findings;
  },
};

interface ArgoApp {
  readonly kind: string;
  readonly name: string;
  readonly automated?: { prune?: boolean; selfHeal?: boolean } | null;
}

/** Every Argo CD Application / ApplicationSet found anywhere in a values document. */
function argoApps(node: unknown, out: ArgoApp[] = []): ArgoApp[] {
  if (Array.isArray(node)) node.forEach((n) => argoApps(n, out));
  else if (node && typeof node === 'object') {
    const o = node as Record<string, unknown>;
    const spec = o.spec as Record<string, unknown> | undefined;
    if (typeof o.apiVersion === 'string' && o.apiVersion.startsWith('argoproj.io/') && (o.kind === 'Application' || o.kind === 'ApplicationSet')) {
      const appSpec = (o.kind === 'ApplicationSet' ? (spec?.template as Record<string, unknown> | undefined)?.spec : spec) as Record<string, unknown> | undefined;
      const sync = appSpec?.syncPolicy as { automated?: ArgoApp['automated'] } | undefined;
      out.push({ kind: o.kind, name: String((o.metadata as { name?: unknown } | undefined)?.name), automated: sync?.automated });
    } else Object.values(o).forEach((v) => argoApps(v, out));
  }
  return out;
}

export const argoSyncRule: Rule = {
  id: 'K8S-003',
  rationale: 'Automated sync and pruning delete live workloads on a Git change; production must only do so where its env file says so.',
  fix: 'Derive syncPolicy.automated from the environment file (gitops.autoSync); set autoSync: false for manual sync.',
  check(ctx) {
    const findings: Finding[] = [];
    const allowed = ctx.env?.gitops.autoSync;
    for (const r of resources(ctx, 'helm_release')) {
      for (const app of valuesDocs(r.body.values).flatMap((d) => argoApps(d))) {
        const auto = app.automated;
        if (!auto) continue;
        const label = `${app.kind} "${app.name}"`;
        if (ctx.env && allowed === false) findings.push({ path: r.path, message: `${label} syncs automatically but envs/${ctx.env.name}.yaml sets gitops.autoSync: false` });
        else if (auto.prune === true && (!ctx.env || !allowed || allowed.prune !== true)) {
          findings.push({ path: r.path, message: `${label} prunes automatically without gitops.autoSync.prune: true in the environment file` });
        }
      }
    }
    return findings;
  },
};
