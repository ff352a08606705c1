import { BackendUnavailableError, listChoices } from './errors.js';
import { sharedState } from './shared-state.js';

/** Where code runs: Node.js, a browser page, or a Web Worker. */
export type Environment = 'node' | 'browser' | 'worker';

/**
 * A tfjs backend as a gradcam plug-in: each backend package registers one when it is imported
 * (`import '@gradcam/backend-node'`), and `setBackend` picks among those registered.
 */
export interface BackendDescriptor {
  /** tfjs' name of the backend: 'tensorflow', 'webgl', 'wasm', 'cpu', … */
  readonly name: string;
  /** Where it can run. */
  readonly environments: readonly Environment[];
  /** Tried first by 'auto' (higher first): tensorflow 30, webgl 20, wasm 10, cpu 0. */
  readonly priority: number;
  /** Makes it the active tfjs backend and returns its name; throws BackendUnavailableError saying what to do when it cannot start. */
  activate(): Promise<string>;
  /** Options for @gradcam/format's decoders while it is active (tfjs-node's native JPEG and PNG decoders). */
  decodeOptions?(): Promise<Record<string, unknown>>;
}

const backends = sharedState('backends', () => new Map<string, BackendDescriptor>());

/**
 * Registers a backend (replacing one of the same name); backend packages call it when imported.
 * Returns a function that unregisters it (restoring nothing: the name is then free).
 */
export function registerBackend(descriptor: BackendDescriptor): () => void {
  backends.set(descriptor.name, descriptor);
  return () => {
    if (backends.get(descriptor.name) === descriptor) backends.delete(descriptor.name);
  };
}

/** The environment this code runs in. */
export function currentEnvironment(): Environment {
  const g = globalThis as { process?: { versions?: { node?: string } }; document?: unknown; importScripts?: unknown };
  if (typeof g.process?.versions?.node === 'string') return 'node';
  return typeof g.document === 'undefined' && typeof g.importScripts === 'function' ? 'worker' : 'browser';
}

/** The registered backends that can run in `environment` (default: here), highest priority first. */
export function listBackends(environment: Environment = currentEnvironment()): BackendDescriptor[] {
  return [...backends.values()].filter((b) => b.environments.includes(environment)).sort((a, b) => b.priority - a.priority);
}

/** Where each known backend comes from, for the message when it is asked for but not registered. */
const PACKAGES: Record<string, string> = {
  tensorflow: "'tensorflow' (tfjs-node) comes with @gradcam/backend-node: npm install @gradcam/backend-node, then import '@gradcam/backend-node'",
  webgl: "'webgl' comes with @gradcam/backend-webgl (browsers): import '@gradcam/backend-webgl'",
  wasm: "'wasm' comes with @gradcam/backend-wasm: import '@gradcam/backend-wasm'",
};

/**
 * The registered backend called `name` that can run here.
 * @throws BackendUnavailableError naming the package that brings it, or the backends there are.
 */
export function findBackend(name: string): BackendDescriptor {
  const found = backends.get(name);
  const environment = currentEnvironment();
  if (found?.environments.includes(environment)) return found;
  const here = listBackends(environment).map((b) => b.name);
  if (found)
    throw new BackendUnavailableError(
      `The '${name}' backend does not run in ${environment === 'node' ? 'Node.js' : `a ${environment}`}. Backends here: ${listChoices(['auto', ...here])}.`,
    );
  throw new BackendUnavailableError(
    `${PACKAGES[name] ? `${PACKAGES[name]}.` : `No backend '${name}' is registered.`} Backends here: ${listChoices(['auto', ...here])}.`,
  );
}
