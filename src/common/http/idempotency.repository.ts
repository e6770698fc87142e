import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { returning } from '../db/returning';

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

/** How long a claimed key stays locked while its request runs (a crashed holder releases it). */
const LOCK_SECONDS = 60;

@Injectable()
export class IdempotencyRepository {
  constructor(private readonly dataSource: DataSource) {}

  /** Claims a key for one request, or says why it cannot run now. */
  async claim(principal: string, key: string, requestHash: Buffer): Promise<Claim> {
    const inserted: unknown[] = await this.dataSource.query(
      `INSERT INTO idempotency_keys (principal, key, request_hash, locked_until)
       VALUES ($1, $2, $3, now() + make_interval(secs => $4))
       ON CONFLICT DO NOTHING RETURNING 1`,
      [principal, key, requestHash, LOCK_SECONDS],
    );
    if (inserted.length > 0) return { kind: 'claimed' };
    const [row] = await this.dataSource.query(
      `SELECT request_hash, status_code, response, locked_until > now() AS locked
         FROM idempotency_keys WHERE principal = $1 AND key = $2`,
      [principal, key],
    );
    if (!row) return this.claim(principal, key, requestHash);
    if (!Buffer.from(row.request_hash).equals(requestHash)) return { kind: 'mismatch' };
    if (row.status_code !== null) {
      const stored = row.response as { body: unknown; headers: Record<string, string> };
      return { kind: 'replay', response: { statusCode: row.status_code, ...stored } };
    }
    if (row.locked) return { kind: 'in_flight' };
    // The holder died mid-request: take the key over.
    const taken = await returning(
      this.dataSource,
      `UPDATE idempotency_keys SET locked_until = now() + make_interval(secs => $3)
        WHERE principal = $1 AND key = $2 AND status_code IS NULL AND locked_until <= now()
        RETURNING 1`,
      [principal, key, LOCK_SECONDS],
    );
    return taken.length > 0 ? { kind: 'claimed' } : { kind: 'in_flight' };
  }

  async complete(principal: string, key: string, response: StoredResponse): Promise<void> {
    await this.dataSource.query(
      `UPDATE idempotency_keys SET status_code = $3, response = $4, locked_until = NULL
        WHERE principal = $1 AND key = $2`,
      [
        principal,
        key,
        response.statusCode,
        JSON.stringify({ body: response.body, headers: response.headers }),
      ],
    );
  }

  async release(principal: string, key: string): Promise<void> {
    await this.dataSource.query(
      `DELETE FROM idempotency_keys WHERE principal = $1 AND key = $2 AND status_code IS NULL`,
      [principal, key],
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
