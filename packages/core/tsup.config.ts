import { packageConfig } from '../../tsup.config.base';

export default packageConfig(['src/index.ts', 'src/errors.ts', 'src/testing.ts', 'src/metrics/index.ts']);
