/**
 * The queue runtime's public surface for the other parts: register handlers, produce jobs,
 * test handlers through processEvent. Everything BullMQ-specific stays inside this folder.
 */
export { QUEUE_NAMES, type QueueName } from '../contracts';
export { createRedis, pingRedis, watchRedis } from './connection';
export type { FollowUpOptions, Handler, HandlerContext, HandlerModule, HandlerResult } from './handlers';
export { HandlerRegistry } from './handlers';
export {
  type EventToProcess,
  type FollowUp,
  HandlerError,
  NoHandlerError,
  PROCESSED_EVENTS,
  type ProcessResult,
  processEvent,
} from './process-event';
export { createProducer, type EnqueuedJob, type EnqueueOptions, type Producer } from './producer';
export { DEFAULT_RETRY_POLICY, type RetryPolicy, type RetryRule } from './retry';
