/** Queue operations for when things go wrong: inspect a queue and its DLQ, redrive a DLQ. */
export {
  AmbiguousSourceQueueError,
  isUnsupportedOperation,
  NoSourceQueueError,
  QueueNotFoundError,
  RedriveQueueTypeMismatchError,
} from './errors';
export { inspectQueue, type InspectOptions, type QueueFigures, type QueueInspection } from './inspect';
export { oldestSampledAgeSeconds, peekMessages, type PeekedMessage, type PeekOptions } from './peek';
export { queueNameOf, resolveQueueUrl } from './queue-ref';
export { parseRedrivePolicy, readQueueState, type ApproximateCounts, type QueueState, type RedrivePolicy } from './queue-state';
export { redrive, resolveRedriveDestination } from './redrive';
export type { RedriveFailure, RedriveMethod, RedriveOptions, RedriveProgress, RedriveReport } from './redrive-types';
export { findSourceQueues, type FindSourceQueuesOptions, type SourceQueues } from './source-queues';
