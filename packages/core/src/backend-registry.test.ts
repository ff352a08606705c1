import { describe, expect, it } from 'vitest';
import { currentEnvironment, findBackend, listBackends, registerBackend } from './backend-registry.js';
import { BackendUnavailableError } from './errors.js';

const descriptor = (name: string, priority: number, environments: ('node' | 'browser' | 'worker')[] = ['node']) => ({
  name,
  environments,
  priority,
  activate: async () => name,
});

describe('backend registry', () => {
  it('knows it runs in Node.js here', () => {
    expect(currentEnvironment()).toBe('node');
  });

  it('lists the backends of this environment by priority and forgets an unregistered one', () => {
    const off = [registerBackend(descriptor('low', -5)), registerBackend(descriptor('high', 99)), registerBackend(descriptor('page-only', 50, ['browser']))];
    try {
      const names = listBackends().map((b) => b.name);
      expect(names.indexOf('high')).toBeLessThan(names.indexOf('low'));
      expect(names).not.toContain('page-only');
      expect(listBackends('browser').map((b) => b.name)).toContain('page-only');
      expect(findBackend('high').priority).toBe(99);
    } finally {
      for (const unregister of off) unregister();
    }
    expect(listBackends().map((b) => b.name)).not.toContain('high');
  });

  it('says which package brings a known backend that is not registered, and where one cannot run', () => {
    const off = registerBackend(descriptor('page-only', 50, ['browser']));
    try {
      expect(() => findBackend('tensorflow')).toThrow(BackendUnavailableError);
      expect(() => findBackend('tensorflow')).toThrow(/npm install @gradcam\/backend-node.*Backends here: 'auto'/);
      expect(() => findBackend('page-only')).toThrow(/'page-only' backend does not run in Node\.js/);
      expect(() => findBackend('nonesuch')).toThrow(/No backend 'nonesuch' is registered/);
    } finally {
      off();
    }
  });

  it('keeps a newer registration when an older one is unregistered', () => {
    const first = registerBackend(descriptor('twice', 1));
    const second = registerBackend(descriptor('twice', 2));
    first();
    expect(findBackend('twice').priority).toBe(2);
    second();
    expect(() => findBackend('twice')).toThrow(BackendUnavailableError);
  });
});
