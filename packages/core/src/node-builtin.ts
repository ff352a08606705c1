/**
 * Imports a Node.js built-in ('node:fs/promises', …) through a name bundlers do not resolve, so
 * browser builds (esbuild, Vite) of packages with Node-only code paths succeed. Call it only on
 * those paths; in a browser the returned promise rejects.
 */
export function importNodeBuiltin<T>(name: `node:${string}`): Promise<T> {
  return import(/* @vite-ignore */ /* webpackIgnore: true */ name) as Promise<T>;
}
