/**
 * Finds literal secrets in Helm values: a non-empty string under a key whose last word names a secret
 * (password, secret, token, key, credentials, …). Keys that *name* a secret rather than hold one
 * (`existingSecret`, `secretName`, `secretKey`, an ExternalSecret's `remoteRef.key`, …) are not secrets,
 * and neither are unresolved Terraform expressions (`${…}`) or empty strings.
 */
const SECRET_WORDS = new Set(['password', 'passwd', 'pwd', 'secret', 'token', 'key', 'apikey', 'credential', 'credentials', 'passphrase', 'dsn']);
/** Keys that hold the *name* or *location* of a secret, never its value. */
const REFERENCE_KEYS = new Set(['existingsecret', 'secretname', 'secretkey', 'secretref', 'secretstoreref', 'keyref', 'tokenpath', 'keyid', 'kmskeyid', 'kmskeyarn', 'key_id']);
/** Parents whose children are references (ESO remoteRef, secretKeyRef, …). */
const REFERENCE_PARENTS = /(ref|refs|selector)$/i;

export interface LiteralSecret {
  /** Dotted path of the value, e.g. `server.config.adminPassword`. */
  readonly path: string;
}

function words(key: string): string[] {
  return key
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .split(/[^A-Za-z0-9]+/)
    .filter(Boolean)
    .map((w) => w.toLowerCase());
}

/** Does this key (by itself) look like it holds a secret value? */
export function isSecretKey(key: string): boolean {
  const flat = key.toLowerCase().replace(/[^a-z0-9_]/g, '');
  if (REFERENCE_KEYS.has(flat)) return false;
  const w = words(key);
  if (w.length === 0 || !SECRET_WORDS.has(w[w.length - 1])) return false;
  // `passwordKey`, `secretKey`, `tokenKey`: the name of a key inside a Secret, not a secret.
  return !(w.length > 1 && w[w.length - 1] === 'key' && ['password', 'secret', 'token', 'credentials', 'credential'].includes(w[w.length - 2]));
}

/** Walks a values object and returns every literal secret in it. */
export function findLiteralSecrets(values: unknown, prefix = ''): LiteralSecret[] {
  const out: LiteralSecret[] = [];
  const walk = (node: unknown, path: string, parentKey: string) => {
    if (Array.isArray(node)) {
      node.forEach((v, i) => walk(v, `${path}[${i}]`, parentKey));
      return;
    }
    if (!node || typeof node !== 'object') return;
    for (const [k, v] of Object.entries(node as Record<string, unknown>)) {
      const p = path ? `${path}.${k}` : k;
      if (typeof v === 'string') {
        if (v !== '' && !v.includes('${') && isSecretKey(k) && !REFERENCE_PARENTS.test(parentKey)) out.push({ path: p });
      } else {
        walk(v, p, k);
      }
    }
  };
  walk(values, prefix, '');
  return out;
}
