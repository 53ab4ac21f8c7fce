import { z } from 'zod';
import { environmentSchema } from './schema';

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/**
 * The JSON Schema editors use to check `envs/*.yaml` as you type.
 * Each file is one layer (the base or an environment) and only the merged result must be complete,
 * so `required` is dropped; types, patterns, enums and unknown-key checks remain.
 */
export function environmentJsonSchema(): Json {
  const schema = z.toJSONSchema(environmentSchema, { io: 'input', unrepresentable: 'any' }) as Json;
  const strip = (node: Json): Json => {
    if (Array.isArray(node)) return node.map(strip);
    if (node && typeof node === 'object') {
      const out: { [key: string]: Json } = {};
      for (const [k, v] of Object.entries(node)) {
        if (k === 'required') continue;
        out[k] = strip(v);
      }
      return out;
    }
    return node;
  };
  return {
    ...(strip(schema) as { [key: string]: Json }),
    title: 'Platform environment file (envs/<env>.yaml or envs/_base.yaml)',
  };
}
