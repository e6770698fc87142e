import type { Client, Pool } from 'pg';
import type { DataSource } from 'typeorm';

/** Calls `fn` once for each connection of the DataSource's pool, at its first checkout. */
export function onEachConnection(dataSource: DataSource, fn: (client: Client) => void): void {
  const pool = (dataSource.driver as unknown as { master?: Pool }).master;
  if (!pool) return;
  const seen = new WeakSet<Client>();
  pool.on('acquire', (client: Client) => {
    if (seen.has(client)) return;
    seen.add(client);
    fn(client);
  });
}
