import { packageConfig } from '../../tsup.config.base';

export default packageConfig(['src/index.ts', 'src/errors.ts', 'src/testing.ts', 'src/node-builtin.ts', 'src/internals.ts', 'src/metrics/index.ts']);
