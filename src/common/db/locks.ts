import type { EntityManager } from 'typeorm';

/**
 * Locks requests' rows, in id order. Every writer that changes what a request derives from
 * (its orders, its shipments' facts, its workflow) takes these locks before writing, always
 * in the same order, so roll-ups never deadlock.
 */
export async function lockRequests(manager: EntityManager, requestIds: string[]): Promise<void> {
  if (requestIds.length === 0) return;
  await manager.query(`SELECT id FROM requests WHERE id = ANY($1::uuid[]) ORDER BY id FOR UPDATE`, [
    [...new Set(requestIds)].sort(),
  ]);
}
