import { defineConfig } from 'vitest/config';

// The suites compare backends, 'tensorflow' included: its plug-in (@gradcam/backend-node, a
// devDependency here, not a dependency) registers in the setup file.
export default defineConfig({
  test: { setupFiles: ['./src/test-setup.ts'] },
});
