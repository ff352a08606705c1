/**
 * State that every installed copy of @gradcam/core must share — the model-adapter and CAM-method
 * registries — kept on globalThis under a Symbol.for key. With two copies of core in one program
 * (two versions of a dependency pulling their own), an adapter registered through one is found by
 * the other. `create` runs once, for the first copy that asks.
 */
export function sharedState<T>(name: string, create: () => T): T {
  const key = Symbol.for(`gradcam.shared:${name}`);
  const store = globalThis as unknown as Record<symbol, T | undefined>;
  store[key] ??= create();
  return store[key] as T;
}
