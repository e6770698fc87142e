import { DataSource } from 'typeorm';
import { dataSourceOptions } from './data-source';

/** Arbitrary, fixed: API processes starting together take turns to migrate. */
const MIGRATION_LOCK = 7_461_746_001;

/**
 * Applies pending migrations under a PostgreSQL advisory lock, so many API processes starting
 * at once migrate exactly once. Returns the names of the migrations applied.
 */
export async function runMigrations(
  databaseUrl: string,
  migrations?: NonNullable<ConstructorParameters<typeof DataSource>[0]['migrations']>,
): Promise<string[]> {
  const dataSource = new DataSource({
    ...dataSourceOptions(databaseUrl, 1),
    ...(migrations ? { migrations } : {}),
  });
  await dataSource.initialize();
  try {
    await dataSource.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK]);
    try {
      const applied = await dataSource.runMigrations({ transaction: 'each' });
      return applied.map((m) => m.name);
    } finally {
      await dataSource.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK]);
    }
  } finally {
    await dataSource.destroy();
  }
}

/** True while migrations exist that this database has not applied. */
export async function hasPendingMigrations(databaseUrl: string): Promise<boolean> {
  const dataSource = new DataSource(dataSourceOptions(databaseUrl, 1));
  await dataSource.initialize();
  try {
    return await dataSource.showMigrations();
  } finally {
    await dataSource.destroy();
  }
}
