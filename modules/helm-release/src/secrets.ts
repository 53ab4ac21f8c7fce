import { Token } from 'cdktf';
import { leaves, renderPath, type Values } from './values';

/**
 * Words that make a key look like it holds a secret. Keys are split into words at case changes and at
 * `_ - . /`, so `apiKey`, `DATABASE_PASSWORD`, `client-secret` and `githubToken` all match while
 * `monkey` or `tokenizer` do not.
 */
const SECRET_WORDS = new Set([
  'password',
  'passwords',
  'passwd',
  'pwd',
  'passphrase',
  'secret',
  'secrets',
  'token',
  'tokens',
  'key',
  'keys',
  'apikey',
  'privatekey',
  'credential',
  'credentials',
  'bearer',
]);

/**
 * A last word that makes the key a reference to a secret rather than the secret itself: `secretName`,
 * `tokenSecretRef`, `kmsKeyArn`, `accessKeyId`, `passwordFile`, `tokenUrl`.
 */
const REFERENCE_WORDS = new Set(['name', 'names', 'ref', 'refs', 'arn', 'id', 'ids', 'path', 'file', 'url', 'uri', 'store', 'selector']);

/** Splits a key into lower-case words: `apiKeySecretRef` → api, key, secret, ref. */
export function keyWords(key: string): string[] {
  return key
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .replace(/([A-Z]+)([A-Z][a-z])/g, '$1 $2')
    .toLowerCase()
    .split(/[^a-z0-9]+/)
    .filter((w) => w.length > 0);
}

/** Whether a key names or points at something (`secretName`, `existingSecret`, `kmsKeyArn`) rather than holding it. */
export function isReferenceKey(key: string): boolean {
  const words = keyWords(key);
  return words.length > 0 && (REFERENCE_WORDS.has(words[words.length - 1]!) || words[0] === 'existing');
}

/** Whether a values key looks like it holds a secret (see SECRET_WORDS and REFERENCE_WORDS). */
export function looksLikeSecretKey(key: string): boolean {
  return !isReferenceKey(key) && keyWords(key).some((w) => SECRET_WORDS.has(w));
}

/** A value under a secret-looking key. */
export interface SecretFinding {
  /** Rendered path, e.g. `configs.credentialTemplates.github.password`. */
  readonly path: string;
  /** The nearest key that looks like a secret (the value's own key or a parent's, e.g. `credentials`). */
  readonly key: string;
  /** A literal string, or a Terraform reference (which would print the secret in every plan). */
  readonly kind: 'literal' | 'reference';
  /** Length of a literal value (the value itself is never echoed). */
  readonly length?: number;
}

/**
 * Finds non-empty strings under secret-looking keys, anywhere in the values (in nested mappings and
 * lists too), except at paths matched by `notSecrets`.
 */
export function findSecretValues(values: Values, notSecrets: readonly string[] = []): SecretFinding[] {
  const patterns = notSecrets.map((p) => p.split('.'));
  const findings: SecretFinding[] = [];
  for (const leaf of leaves(values)) {
    if (typeof leaf.value !== 'string' || leaf.value.length === 0) continue;
    const segments = leaf.path.map(String);
    if (patterns.some((p) => matches(p, segments))) continue;
    const named = leaf.path.filter((s): s is string => typeof s === 'string');
    // Anything at or below a reference (`secretName`, `secretKeyRef.key`, `remoteRef.key`) names a secret
    // held elsewhere; it does not hold one.
    if (named.some(isReferenceKey)) continue;
    const key = [...named].reverse().find(looksLikeSecretKey);
    if (key === undefined) continue;
    const reference = Token.isUnresolved(leaf.value);
    findings.push({
      path: renderPath(leaf.path),
      key,
      kind: reference ? 'reference' : 'literal',
      ...(reference ? {} : { length: leaf.value.length }),
    });
  }
  return findings;
}

/** Matches path segments against a dotted pattern with `*` (one segment) and `**` (any number). */
export function matches(pattern: readonly string[], segments: readonly string[]): boolean {
  if (pattern.length === 0) return segments.length === 0;
  const [head, ...rest] = pattern;
  if (head === '**') {
    for (let i = 0; i <= segments.length; i++) if (matches(rest, segments.slice(i))) return true;
    return false;
  }
  if (segments.length === 0) return false;
  return (head === '*' || head === segments[0]) && matches(rest, segments.slice(1));
}
