import { join } from 'node:path';
import type { DataSourceOptions } from 'typeorm';

/** Where compiled migrations live: `dist/migrations` beside `dist/config`. */
export const MIGRATIONS_GLOB = join(__dirname, '..', 'migrations', '[0-9]*-*.js');

/**
 * `extra` goes to node-postgres: the app passes its acquire timeout and the statement and
 * idle-in-transaction timeouts PostgreSQL enforces on its sessions (migrations run without).
 */
export function dataSourceOptions(
  databaseUrl: string,
  poolSize = 10,
  extra: Record<string, unknown> = {},
): DataSourceOptions {
  return {
    type: 'postgres',
    url: databaseUrl,
    // Entities are listed by each feature module (autoLoadEntities); the CLI needs none.
    entities: [],
    migrations: [MIGRATIONS_GLOB],
    migrationsTableName: 'typeorm_migrations',
    migrationsTransactionMode: 'each',
    synchronize: false,
    migrationsRun: false,
    poolSize,
    extra: { connectionTimeoutMillis: 5_000, application_name: 'lifeline', ...extra },
  };
}
