import * as tf from '@tensorflow/tfjs-core';
import { BackendUnavailableError } from './errors.js';

/**
 * Makes a registered tfjs backend active and returns its name. A backend that throws while
 * starting, or that tfjs reports as failed, becomes a BackendUnavailableError carrying `hint`
 * (what to do about it).
 */
export async function activateBackend<Name extends string>(name: Name, hint: string): Promise<Name> {
  let ok = false;
  try {
    ok = await tf.setBackend(name);
  } catch (error) {
    throw new BackendUnavailableError(`The ${name} backend failed to start: ${(error as Error).message}. ${hint}`, { cause: error });
  }
  if (!ok) throw new BackendUnavailableError(`The ${name} backend could not start here. ${hint}`);
  return name;
}
