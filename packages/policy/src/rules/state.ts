import { type Rule } from '../types';

export const backendRule: Rule = {
  id: 'STATE-001',
  rationale: 'Every stack keeps its state in an encrypted, locked S3 object of its own; anything else risks lost or corrupted state.',
  fix: 'Extend EnvironmentStack (the stack factory configures the backend); never configure a backend in a stack.',
  check(ctx) {
    const backend = ctx.json.terraform?.backend ?? {};
    const [kind] = Object.keys(backend);
    const s3 = backend.s3;
    if (!s3) return [{ path: ctx.stackId, message: kind ? `stack uses the "${kind}" backend, not s3` : 'stack has no backend (state would be local)' }];
    const problems: string[] = [];
    if (s3.encrypt !== true) problems.push('encrypt is not true');
    if (!s3.dynamodb_table && s3.use_lockfile !== true) problems.push('no lock (dynamodb_table or use_lockfile)');
    if (typeof s3.key !== 'string' || !s3.key.endsWith('.tfstate')) problems.push(`key ${JSON.stringify(s3.key)} is not <env>/<stack>.tfstate`);
    if (ctx.env && typeof s3.key === 'string' && !s3.key.startsWith(`${ctx.env.name}/`)) problems.push(`key ${JSON.stringify(s3.key)} is outside the ${ctx.env.name}/ prefix`);
    return problems.map((message) => ({ path: ctx.stackId, message: `S3 backend: ${message}` }));
  },
};
