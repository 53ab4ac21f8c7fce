import { ConfigError, type Problem } from '@platform/config';
import { type KubernetesObject } from '@platform/helm-release-module';

/** What `@kubernetes-models` classes have in common: validation against the resource's OpenAPI schema. */
export interface ValidatableModel {
  validate(): void;
  toJSON(): unknown;
}

interface SchemaError {
  readonly instancePath?: string;
  readonly message?: string;
}

/** `Kind namespace/name` (or `Kind name` for cluster-scoped objects), the way messages name an object. */
export function describeObject(object: Pick<KubernetesObject, 'kind' | 'metadata'>): string {
  const ns = object.metadata?.namespace;
  return `${object.kind} ${ns ? `${ns}/` : ''}${object.metadata?.name ?? '(unnamed)'}`;
}

/**
 * Validates a model against its schema and returns it as plain data. A failure throws a ConfigError that
 * names the object and each failing field, so an invalid object fails synth rather than the cluster.
 */
export function validated(model: ValidatableModel, extraProblems: readonly string[] = []): KubernetesObject {
  const data = model.toJSON() as KubernetesObject;
  const source = describeObject(data);
  const problems: Problem[] = [];
  try {
    model.validate();
  } catch (err) {
    const errors = (err as { errors?: readonly SchemaError[] }).errors;
    if (!Array.isArray(errors) || errors.length === 0) {
      problems.push({ source, field: '', message: `fails its schema: ${(err as Error).message}` });
    } else {
      for (const e of errors) {
        problems.push({
          source,
          field: (e.instancePath ?? '').split('/').filter(Boolean).join('.'),
          message: `${e.message ?? 'is invalid'} (schema of ${data.apiVersion} ${data.kind})`,
        });
      }
    }
  }
  for (const message of extraProblems) problems.push({ source, field: '', message });
  if (problems.length > 0) {
    throw new ConfigError(problems, `${source} is invalid (${problems.length} problem${problems.length === 1 ? '' : 's'})`);
  }
  return data;
}
