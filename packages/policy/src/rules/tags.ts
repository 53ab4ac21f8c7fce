import { resources } from '../json';
import { type Finding, type PolicyContext, type Rule } from '../types';

export const REQUIRED_TAG_KEYS = ['Environment', 'Team', 'ManagedBy', 'CostCenter'] as const;

/** default_tags of each AWS provider configuration, by provider reference (`aws` or `aws.<alias>`). */
function providerTags(ctx: PolicyContext): Map<string, Record<string, string>> {
  const out = new Map<string, Record<string, string>>();
  for (const cfg of ctx.json.provider?.aws ?? []) {
    const ref = typeof cfg.alias === 'string' ? `aws.${cfg.alias}` : 'aws';
    const dt = Array.isArray(cfg.default_tags) ? cfg.default_tags[0] : cfg.default_tags;
    out.set(ref, ((dt as { tags?: Record<string, string> } | undefined)?.tags ?? {}) as Record<string, string>);
  }
  return out;
}

export const tagsRule: Rule = {
  id: 'TAG-001',
  rationale: 'Cost allocation, ownership and incident routing rely on Environment, Team, ManagedBy and CostCenter on every resource.',
  fix: 'Create resources in a stack from the stack factory (its AWS provider sets default_tags), or set the missing tags on the resource.',
  check(ctx) {
    const findings: Finding[] = [];
    const byProvider = providerTags(ctx);
    for (const r of resources(ctx)) {
      if (!r.type.startsWith('aws_') || !ctx.taggable.has(`${r.type}.${r.id}`)) continue;
      const providerRef = typeof r.body.provider === 'string' ? r.body.provider.replace(/^\$\{|\}$/g, '') : 'aws';
      const own = (r.body.tags ?? {}) as Record<string, unknown>;
      const effective: Record<string, unknown> = { ...(byProvider.get(providerRef) ?? {}), ...own };
      const missing = REQUIRED_TAG_KEYS.filter((k) => typeof effective[k] !== 'string' || (effective[k] as string).trim() === '');
      if (missing.length) findings.push({ path: r.path, message: `${r.type} lacks tag${missing.length > 1 ? 's' : ''} ${missing.join(', ')} (or has them empty)` });
      if (effective.ManagedBy !== undefined && effective.ManagedBy !== 'terraform') {
        findings.push({ path: r.path, message: `${r.type} has ManagedBy=${JSON.stringify(effective.ManagedBy)}, expected "terraform"` });
      }
      if (ctx.env && typeof effective.Environment === 'string' && effective.Environment !== ctx.env.name) {
        findings.push({ path: r.path, message: `${r.type} has Environment=${JSON.stringify(effective.Environment)} in the ${ctx.env.name} stack` });
      }
    }
    return findings;
  },
};
