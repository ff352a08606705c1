import { describe, expect, it } from 'vitest';
import { backendFromQuery, backendPlan } from './backend-plan';

const swiftShader = { renderer: 'ANGLE (Google, Vulkan 1.3.0 (SwiftShader Device (Subzero) (0x0000C0DE)), SwiftShader driver)', software: true };
const gpu = { renderer: 'ANGLE (NVIDIA, NVIDIA GeForce RTX 3060 Direct3D11 vs_5_0 ps_5_0, D3D11)', software: false };

describe('backendPlan', () => {
  it('auto prefers webgl on a GPU', () => {
    const plan = backendPlan('auto', gpu);
    expect(plan.order).toEqual(['webgl', 'wasm', 'cpu']);
    expect(plan.reason).toContain('GPU');
  });

  it('auto prefers wasm on software-rendered WebGL, and says why', () => {
    const plan = backendPlan('auto', swiftShader);
    expect(plan.order).toEqual(['wasm', 'webgl', 'cpu']);
    expect(plan.reason).toBe('auto chose wasm: WebGL here is software-rendered (SwiftShader), on which wasm runs the model faster.');
  });

  it('auto skips webgl where there is no WebGL 2', () => {
    expect(backendPlan('auto', undefined)).toEqual({ order: ['wasm', 'cpu'], reason: 'auto chose wasm: this browser has no WebGL 2 in a Worker.' });
  });

  it('tries an explicit choice first, then the others', () => {
    const plan = backendPlan('webgl', swiftShader);
    expect(plan.order).toEqual(['webgl', 'wasm', 'cpu']);
    expect(plan.reason).toBe('webgl, as asked in the address (?backend=webgl).');
    expect(backendPlan('cpu', gpu).order).toEqual(['cpu', 'webgl', 'wasm']);
  });
});

describe('backendFromQuery', () => {
  it('reads ?backend=', () => {
    expect(backendFromQuery('')).toEqual({ backend: 'auto' });
    expect(backendFromQuery('?backend=wasm')).toEqual({ backend: 'wasm' });
    expect(backendFromQuery('?x=1&backend=webgl')).toEqual({ backend: 'webgl' });
  });

  it('names an unknown value and the valid ones, and uses auto', () => {
    expect(backendFromQuery('?backend=bogus')).toEqual({
      backend: 'auto',
      notice: '?backend=bogus is not a backend (valid: auto, webgl, wasm, cpu); using auto.',
    });
  });
});
