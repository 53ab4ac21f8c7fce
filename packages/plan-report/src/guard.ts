import { isMap, isSeq, LineCounter, parseDocument, type Node } from 'yaml';
import { type ResourceChange, type StackPlan } from './types';

/**
 * The destroy guard (contract 3): a plan of a production-tier environment that destroys or replaces a
 * stateful resource fails the apply pipeline unless a reviewed acknowledgement names it. The
 * acknowledgement is a file in the repository (default `destroy-ack.yaml`), so it is part of the pull
 * request's diff and passes the same review as the change that causes the destroy.
 */

/**
 * Resource types whose destroy loses data or breaks what depends on them: state and backup buckets,
 * lock tables, KMS keys (and their aliases, which other stacks and encrypted data name), log groups,
 * ECR repositories, DNS records and zones, Secrets Manager secrets, and the platform's Helm releases
 * (uninstalling Argo CD or the objects release deletes every Application and what it deployed).
 */
export const STATEFUL_TYPES: readonly string[] = [
  'aws_s3_bucket',
  'aws_dynamodb_table',
  'aws_kms_key',
  'aws_kms_alias',
  'aws_cloudwatch_log_group',
  'aws_ecr_repository',
  'aws_route53_record',
  'aws_route53_zone',
  'aws_secretsmanager_secret',
  'aws_db_instance',
  'aws_rds_cluster',
  'aws_efs_file_system',
  'helm_release',
];

/** Shortest acknowledgement reason: a sentence a reviewer can judge, not "ok". */
export const MIN_REASON_LENGTH = 20;

/** One reviewed acknowledgement: this stack may destroy or replace this address. */
export interface DestroyAck {
  readonly stack: string;
  readonly address: string;
  readonly reason: string;
  /** `file:line` of the entry. */
  readonly source: string;
}

/** A problem in the acknowledgement file. */
export class AckFileError extends Error {
  override readonly name = 'AckFileError';
  constructor(readonly problems: readonly string[]) {
    super(problems.length === 1 ? problems[0]! : `${problems.length} problems in the destroy acknowledgements:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
  }
}

const ACK_KEYS = new Set(['stack', 'address', 'reason']);

/**
 * Parses an acknowledgement file: `acknowledgements:` holding a list of `{ stack, address, reason }`
 * (a bare list is accepted too). Every problem is reported with file:line and the fix, at once.
 */
export function parseAcks(text: string, file: string): DestroyAck[] {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, uniqueKeys: true });
  const at = (node: Node | null | undefined): string => `${file}:${node?.range ? lines.linePos(node.range[0]).line : 1}`;
  const problems = doc.errors.map((e) => `${file}:${e.linePos?.[0].line ?? 1}: ${e.message.split('\n')[0]} — fix the YAML syntax`);
  if (problems.length > 0) throw new AckFileError(problems);
  let list: Node | null | undefined = doc.contents;
  if (list === null || list === undefined) return [];
  if (isMap(list)) {
    const keys = list.items.map((p) => String((p.key as { value?: unknown })?.value ?? p.key));
    const unknown = keys.filter((k) => k !== 'acknowledgements');
    if (unknown.length > 0) throw new AckFileError([`${at(list)}: unknown key${unknown.length === 1 ? '' : 's'} ${unknown.map((k) => JSON.stringify(k)).join(', ')} — the file holds only "acknowledgements:", a list of { stack, address, reason }`]);
    list = list.get('acknowledgements', true) as Node | null | undefined;
    if (list === null || list === undefined) return [];
  }
  if (!isSeq(list)) throw new AckFileError([`${at(list)}: acknowledgements is not a list — write a list of { stack, address, reason } entries`]);
  const acks: DestroyAck[] = [];
  const seen = new Map<string, string>();
  list.items.forEach((item, i) => {
    const where = at(item as Node);
    if (!isMap(item)) {
      problems.push(`${where}: acknowledgements[${i}] is not a mapping — write { stack, address, reason }`);
      return;
    }
    const value = item.toJSON() as Record<string, unknown>;
    for (const key of Object.keys(value).filter((k) => !ACK_KEYS.has(k))) problems.push(`${where}: acknowledgements[${i}].${key} is not a known field — use only stack, address, reason`);
    const str = (key: string): string | undefined => {
      const v = value[key];
      if (typeof v === 'string' && v.trim() !== '') return v.trim();
      problems.push(`${where}: acknowledgements[${i}].${key} is ${v === undefined ? 'missing' : 'not a non-empty string'} — ${ACK_HELP[key]}`);
      return undefined;
    };
    const stack = str('stack');
    const address = str('address');
    const reason = str('reason');
    if (reason !== undefined && reason.length < MIN_REASON_LENGTH) {
      problems.push(`${where}: acknowledgements[${i}].reason has ${reason.length} characters — write at least ${MIN_REASON_LENGTH}: why losing this resource is intended and what happens to its data`);
    }
    if (stack === undefined || address === undefined || reason === undefined || reason.length < MIN_REASON_LENGTH) return;
    const key = `${stack} ${address}`;
    const first = seen.get(key);
    if (first !== undefined) problems.push(`${where}: acknowledgements[${i}] repeats ${stack} ${address} (also at ${first}) — keep one entry`);
    seen.set(key, where);
    acks.push({ stack, address, reason, source: where });
  });
  if (problems.length > 0) throw new AckFileError(problems);
  return acks;
}

const ACK_HELP: Readonly<Record<string, string>> = {
  stack: 'the stack id the plan belongs to, e.g. "<env>-services"',
  address: 'the resource address exactly as the plan shows it, e.g. "aws_s3_bucket.logs_Bucket_1A2B3C4D"',
  reason: `why destroying it is intended (at least ${MIN_REASON_LENGTH} characters)`,
};

export type GuardVerdict = 'blocked' | 'acknowledged' | 'allowed';

/** A stateful resource a plan destroys or replaces, with the guard's verdict. */
export interface GuardFinding {
  readonly stack: string;
  readonly environment: string;
  /** `production`, `non-production`, or `unknown` (no environment file: treated as production). */
  readonly tier: string;
  readonly address: string;
  readonly type: string;
  readonly action: 'delete' | 'replace';
  readonly verdict: GuardVerdict;
  /** The acknowledgement's reason and where it is, for `acknowledged`. */
  readonly ack?: Pick<DestroyAck, 'reason' | 'source'>;
}

export interface GuardReport {
  readonly findings: readonly GuardFinding[];
  /** Acknowledgements no finding used: remove them once the destroy has been applied. */
  readonly unusedAcks: readonly DestroyAck[];
  /** True when nothing is blocked. */
  readonly passed: boolean;
}

export interface GuardOptions {
  /** Tier of each environment by name; a stack of an environment not listed is treated as production. */
  readonly tiers: ReadonlyMap<string, string>;
  readonly acks?: readonly DestroyAck[];
  /** The environment a stack belongs to. @default - the part of the id before the first "-" */
  readonly environmentOf?: (stack: string) => string;
  /** @default STATEFUL_TYPES */
  readonly statefulTypes?: readonly string[];
}

/** Whether a change destroys the existing object: a delete, or a replace that deletes (not one that forgets). */
export function destroyAction(change: ResourceChange): 'delete' | 'replace' | undefined {
  const actions = change.change.actions;
  if (!actions.includes('delete')) return undefined;
  return actions.includes('create') ? 'replace' : 'delete';
}

/** Evaluates every plan: stateful destroys and replaces, each with its verdict; blocked ones first. */
export function guardPlans(stacks: readonly StackPlan[], options: GuardOptions): GuardReport {
  const stateful = new Set(options.statefulTypes ?? STATEFUL_TYPES);
  const envOf = options.environmentOf ?? ((s: string) => (s.includes('-') ? s.slice(0, s.indexOf('-')) : s));
  const acks = options.acks ?? [];
  const used = new Set<DestroyAck>();
  const findings: GuardFinding[] = [];
  for (const { stack, plan } of stacks) {
    const environment = envOf(stack);
    const tier = options.tiers.get(environment) ?? 'unknown';
    for (const rc of plan.resourceChanges) {
      if (rc.mode !== 'managed' || !stateful.has(rc.type)) continue;
      const action = destroyAction(rc);
      if (action === undefined) continue;
      const ack = acks.find((a) => a.stack === stack && a.address === rc.address);
      let verdict: GuardVerdict;
      if (tier === 'non-production') verdict = 'allowed';
      else if (ack) {
        verdict = 'acknowledged';
        used.add(ack);
      } else verdict = 'blocked';
      findings.push({ stack, environment, tier, address: rc.address, type: rc.type, action, verdict, ...(ack && verdict === 'acknowledged' ? { ack: { reason: ack.reason, source: ack.source } } : {}) });
    }
  }
  const order: Record<GuardVerdict, number> = { blocked: 0, acknowledged: 1, allowed: 2 };
  findings.sort((a, b) => order[a.verdict] - order[b.verdict] || a.stack.localeCompare(b.stack) || a.address.localeCompare(b.address));
  return { findings, unusedAcks: acks.filter((a) => !used.has(a)), passed: findings.every((f) => f.verdict !== 'blocked') };
}

const VERDICT_TEXT: Readonly<Record<GuardVerdict, string>> = { blocked: 'BLOCKED', acknowledged: 'ACKNOWLEDGED', allowed: 'allowed' };

/** Why a finding got its verdict, in words. */
export function verdictReason(f: GuardFinding, ackFile: string): string {
  if (f.verdict === 'allowed') return 'non-production tier';
  if (f.verdict === 'acknowledged') return `acknowledged in ${f.ack!.source}: ${f.ack!.reason}`;
  const tier = f.tier === 'unknown' ? `no environment file for "${f.environment}" (treated as production)` : `${f.tier} tier`;
  return `${tier}, not acknowledged — if this is intended, add { stack: ${f.stack}, address: ${f.address}, reason: <why, ${MIN_REASON_LENGTH}+ characters> } under acknowledgements: in ${ackFile}, in the pull request`;
}

/** The guard's report for a person: one line per finding with its verdict. */
export function formatGuard(report: GuardReport, ackFile: string): string[] {
  const lines: string[] = [];
  if (report.findings.length === 0) lines.push('destroy guard: no stateful resource is destroyed or replaced');
  else {
    const blocked = report.findings.filter((f) => f.verdict === 'blocked').length;
    lines.push(
      `destroy guard: ${report.findings.length} stateful resource${report.findings.length === 1 ? ' is' : 's are'} destroyed or replaced; ${blocked === 0 ? 'none is blocked' : `${blocked} blocked`}`,
    );
    for (const f of report.findings) lines.push(`  ${VERDICT_TEXT[f.verdict].padEnd(12)} ${f.stack}  ${f.address} (${f.action}) — ${verdictReason(f, ackFile)}`);
  }
  for (const a of report.unusedAcks) lines.push(`note: ${a.source}: acknowledgement of ${a.stack} ${a.address} matches no destroy in these plans — remove it once its destroy is applied`);
  return lines;
}
