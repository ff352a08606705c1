// Registers the 'tensorflow' backend plug-in for every test file of this package (see vitest.config.ts).
import '@gradcam/backend-node';
