export type { Job as QueueJob } from 'bullmq';
export { type ConnectOptions, checkRedisUrl, connectRedis, shownUrl } from './connection.js';
export { canonicalJson, type ExplainJobData, jobIdOf, PermanentJobError } from './job.js';
export {
  type AddOptions,
  addJobs,
  DEFAULT_QUEUE_NAME,
  finishedJobs,
  type JobOutcome,
  pendingJobs,
  type QueueStatus,
  queueStatus,
  withQueue,
} from './queue-client.js';
export { type BatchHandler, type RunningWorker, startWorker, type WorkerOptions } from './worker.js';
