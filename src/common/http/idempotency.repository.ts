import { Injectable } from '@nestjs/common';
import { escapeLiteral } from 'pg';
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
   * The statement that claims a key inside the transaction of the request it guards (sent
   * with its BEGIN): the row commits with the change and its answer, or not at all. A request
   * racing it with the same key waits on the row, then finds its answer (or, if the first
   * rolled back, claims the key itself). It returns a row when it claimed the key.
   */
  claimStatement(principal: string, key: string, requestHash: Buffer): string {
    return `INSERT INTO idempotency_keys (principal, key, request_hash)
      VALUES (${escapeLiteral(principal)}, ${escapeLiteral(key)}, '\\x${requestHash.toString('hex')}'::bytea)
      ON CONFLICT DO NOTHING RETURNING 1`;
  }

  /** Why a key the claim statement could not take is not free: its answer, or another body. */
  async claimTaken(
    manager: EntityManager,
    principal: string,
    key: string,
    requestHash: Buffer,
  ): Promise<Claim> {
    const [row] = await manager.query(
      `SELECT request_hash, status_code, response, locked_until > now() AS locked
         FROM idempotency_keys WHERE principal = $1 AND key = $2 FOR UPDATE`,
      [principal, key],
    );
    if (!row) {
      // Purged meanwhile: claim it now.
      const inserted: unknown[] = await manager.query(
        `INSERT INTO idempotency_keys (principal, key, request_hash) VALUES ($1, $2, $3)
         ON CONFLICT DO NOTHING RETURNING 1`,
        [principal, key, requestHash],
      );
      return inserted.length > 0
        ? { kind: 'claimed' }
        : this.claimTaken(manager, principal, key, requestHash);
    }
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

  /** The statement that stores a claimed key's answer, sent with the COMMIT of its change. */
  completeStatement(principal: string, key: string, response: StoredResponse): string {
    return `UPDATE idempotency_keys SET status_code = ${Math.trunc(response.statusCode)},
      response = ${escapeLiteral(answer(response))}::jsonb, locked_until = NULL
      WHERE principal = ${escapeLiteral(principal)} AND key = ${escapeLiteral(key)}`;
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
