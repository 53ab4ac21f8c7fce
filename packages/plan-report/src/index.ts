export { PlanFileError } from './errors';
export { loadPlanFile, parsePlan } from './load';
export { type ChangeKind, type PlanStatus, type PlanSummary, changeKind, planStatus, summarize } from './summary';
export { describeReason } from './reasons';
export { type AttributeChange, type PathPart, type Shown, type ValueChange, diffAttributes, formatPath } from './attributes';
export { commentMarker } from './markdown';
export { type CommentOptions, renderComment } from './comment';
export { DEFAULT_MAX_CHARS, GITHUB_COMMENT_LIMIT } from './fit';
export {
  type DriftAttribute,
  type DriftJson,
  type DriftReport,
  type DriftReportOptions,
  type DriftResource,
  type DriftStack,
  driftReport,
} from './drift';
export { type SlackBlock, type SlackOptions, type SlackPayload, slackPayload } from './slack';
export type { Change, ChangeAction, JsonValue, OutputChange, Plan, ResourceChange, StackPlan } from './types';
export {
  type DeliveredObject,
  type FieldChange,
  type ObjectAction,
  type ObjectChange,
  type StackObjectDiff,
  formatObjectChanges,
  helmReleaseObjects,
  isGeneratedSource,
  objectCounts,
  objectKey,
  objectLabel,
  removalNote,
  renderObjectDiff,
} from './objects';
export {
  AckFileError,
  type DestroyAck,
  destroyAction,
  formatGuard,
  type GuardFinding,
  type GuardOptions,
  type GuardReport,
  type GuardVerdict,
  guardPlans,
  MIN_REASON_LENGTH,
  parseAcks,
  STATEFUL_TYPES,
  verdictReason,
} from './guard';
