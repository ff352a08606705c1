export { type BoundedFetchOptions, boundedFetch, deadlineIn, type Fetched } from './bounded-fetch.js';
export { type InsideOptions, isInside, resolveInside } from './inside.js';
export {
  DEFAULT_DEADLINE_MS,
  DEFAULT_MAX_IMAGE_BYTES,
  DEFAULT_MAX_MODEL_BYTES,
  DEFAULT_MAX_REDIRECTS,
  DEFAULT_TIMEOUT_MS,
  type ErrorClass,
  type FetchLimits,
  type SizeLimit,
  type Subject,
} from './limits.js';
export { describeFsError, type FilePath, type ReadFileOptions, readRegularFile } from './read-file.js';
export { type ResolveUrlOptions, resolveUrl } from './resolve-url.js';
