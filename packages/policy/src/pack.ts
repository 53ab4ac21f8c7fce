import { argoSyncRule, chartVersionRule, helmSecretsRule } from './rules/kubernetes';
import { iamActionRule, iamResourceRule, trustRule } from './rules/iam';
import { keyAdminRule, keyEcrRule, keyLogsRule } from './rules/keys';
import { backendRule } from './rules/state';
import { dynamoRule, ecrEncryptionRule, kmsKeyRule, logEncryptionRule, s3EncryptionRule, s3PublicAccessRule, s3TlsRule } from './rules/storage';
import { tagsRule } from './rules/tags';
import { ecrImmutableRule, ecrScanRule, logRetentionRule, preventDestroyRule } from './rules/workloads';
import { type Rule } from './types';

/** Every rule of the platform's policy pack, in report order. */
export const RULES: readonly Rule[] = [
  tagsRule,
  ecrEncryptionRule,
  logEncryptionRule,
  s3EncryptionRule,
  s3PublicAccessRule,
  s3TlsRule,
  dynamoRule,
  kmsKeyRule,
  keyAdminRule,
  keyLogsRule,
  keyEcrRule,
  iamActionRule,
  iamResourceRule,
  trustRule,
  ecrImmutableRule,
  ecrScanRule,
  logRetentionRule,
  chartVersionRule,
  helmSecretsRule,
  argoSyncRule,
  backendRule,
  preventDestroyRule,
];

export function ruleById(id: string): Rule | undefined {
  return RULES.find((r) => r.id === id);
}
