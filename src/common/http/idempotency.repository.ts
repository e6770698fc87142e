import { Injectable } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';

export interface StoredResponse {
  statusCode: number;
  body: unknown;
  headers: Record<string, string>;
}

export type Claim =
  | { kind: 'claimed' }
  | { kind: 'replay'; response: StoredResponse }
  | { kind: 'mismatch' }
  | { kind: 'in_flight' };

@Injectable()
export class IdempotencyRepository {
  constructor(private readonly dataSource: DataSource) {}

  /**
   * Claims a key inside the transaction of the request it guards: the row commits with the
   * change and its answer, or not at all. A request racing it with the same key waits on the
   * row, then finds its answer (or, if the first rolled back, claims the key itself).
   */
  async claim(
    manager: EntityManager,
    principal: string,
    key: string,
    requestHash: Buffer,
  ): Promise<Claim> {
    const inserted: unknown[] = await manager.query(
      `INSERT INTO idempotency_keys (principal, key, request_hash) VALUES ($1, $2, $3)
       ON CONFLICT DO NOTHING RETURNING 1`,
      [principal, key, requestHash],
    );
    if (inserted.length > 0) return { kind: 'claimed' };
    const [row] = await manager.query(
      `SELECT request_hash, status_code, response, locked_until > now() AS locked
         FROM idempotency_keys WHERE principal = $1 AND key = $2 FOR UPDATE`,
      [principal, key],
    );
    if (!row) return this.claim(manager, principal, key, requestHash);
    if (!Buffer.from(row.request_hash).equals(requestHash)) return { kind: 'mismatch' };
    if (row.status_code !== null) {
      const stored = row.response as { body: unknown; headers: Record<string, string> };
      return { kind: 'replay', response: { statusCode: row.status_code, ...stored } };
    }
    // Claimed, unanswered and committed: only an older Lifeline claims so, while it runs.
    if (row.locked) return { kind: 'in_flight' };
    await manager.query(
      `UPDATE idempotency_keys SET locked_until = NULL WHERE principal = $1 AND key = $2`,
      [principal, key],
    );
    return { kind: 'claimed' };
  }

  /** Stores the answer of a claimed key, in the same transaction as the change. */
  async complete(
    manager: EntityManager,
    principal: string,
    key: string,
    response: StoredResponse,
  ): Promise<void> {
    await manager.query(
      `UPDATE idempotency_keys SET status_code = $3, response = $4, locked_until = NULL
        WHERE principal = $1 AND key = $2`,
      [principal, key, response.statusCode, answer(response)],
    );
  }

  /**
   * Keeps the answer of a request that changed nothing (a client error), after its
   * transaction rolled back; a request that answered meanwhile keeps its own.
   */
  async keep(
    principal: string,
    key: string,
    requestHash: Buffer,
    response: StoredResponse,
  ): Promise<void> {
    await this.dataSource.query(
      `INSERT INTO idempotency_keys (principal, key, request_hash, status_code, response)
       VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING`,
      [principal, key, requestHash, response.statusCode, answer(response)],
    );
  }

  async purgeOlderThan(hours: number): Promise<number> {
    const result: [unknown[], number] = await this.dataSource.query(
      `DELETE FROM idempotency_keys WHERE created_at < now() - make_interval(hours => $1)`,
      [hours],
    );
    return result[1];
  }
}

function answer(response: StoredResponse): string {
  return JSON.stringify({ body: response.body, headers: response.headers });
}
