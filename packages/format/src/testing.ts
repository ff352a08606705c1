/**
 * Test helpers for decoder robustness: `@gradcam/format/testing`. Node only (the seed images
 * are encoded with pngjs and jpeg-js through Node's Buffer).
 */
export { fuzzSeedImages, type MutatedImage, type MutateOptions, type Mutation, mutateImages, type SeedImage } from './fuzz-corpus';
