import { DataSource } from 'typeorm';
import { dataSourceOptions } from './data-source';
import { validateEnv } from './env';

/**
 * For the TypeORM CLI (`npx typeorm -d dist/config/cli-data-source.js migration:show`): the same
 * options the app and `npm run migration:run` use.
 */
export default new DataSource(dataSourceOptions(validateEnv(process.env).DATABASE_URL));
