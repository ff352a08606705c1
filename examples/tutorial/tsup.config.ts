import { packageConfig } from '../../tsup.config.base';

export default { ...packageConfig(['src/tutorial.ts']), dts: false };
