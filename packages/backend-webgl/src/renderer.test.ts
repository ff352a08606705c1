import { describe, expect, it } from 'vitest';
import { isSoftwareRenderer, webglRendererInfo } from './renderer.js';

describe('isSoftwareRenderer', () => {
  it('recognises the CPU rasterisers browsers fall back to', () => {
    for (const renderer of [
      'ANGLE (Google, Vulkan 1.3.0 (SwiftShader Device (Subzero) (0x0000C0DE)), SwiftShader driver)',
      'Google SwiftShader',
      'llvmpipe (LLVM 15.0.6, 256 bits)',
      'Mesa softpipe',
      'ANGLE (Microsoft, Microsoft Basic Render Driver Direct3D11 vs_5_0 ps_5_0)',
    ]) {
      expect(isSoftwareRenderer(renderer), renderer).toBe(true);
    }
  });

  it('does not flag GPUs', () => {
    for (const renderer of [
      'ANGLE (NVIDIA, NVIDIA GeForce RTX 3060 Direct3D11 vs_5_0 ps_5_0, D3D11)',
      'Apple M2',
      'Mali-G78',
      'ANGLE (Intel, Mesa Intel(R) UHD Graphics 620 (KBL GT2), OpenGL 4.6)',
    ]) {
      expect(isSoftwareRenderer(renderer), renderer).toBe(false);
    }
  });
});

describe('webglRendererInfo', () => {
  it('returns undefined where there is no canvas at all (Node)', () => {
    expect(webglRendererInfo()).toBeUndefined();
  });
});
