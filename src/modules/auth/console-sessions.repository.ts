import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';

export interface SessionRow {
  key_hash: Buffer;
  csrf_token: string;
  expires_at: Date;
}

@Injectable()
export class ConsoleSessionsRepository {
  constructor(private readonly dataSource: DataSource) {}

  /** Stores a new session, and drops the expired ones on the way (sign-ins are rare). */
  async insert(id: Buffer, keyHash: Buffer, csrf: string, expiresAt: Date): Promise<void> {
    await this.dataSource.query(
      `WITH gone AS (DELETE FROM console_sessions WHERE expires_at < now())
       INSERT INTO console_sessions (id, key_hash, csrf_token, expires_at) VALUES ($1, $2, $3, $4)`,
      [id, keyHash, csrf, expiresAt],
    );
  }

  async find(id: Buffer, now: Date): Promise<SessionRow | null> {
    const rows: SessionRow[] = await this.dataSource.query(
      `SELECT key_hash, csrf_token, expires_at FROM console_sessions WHERE id = $1 AND expires_at > $2`,
      [id, now],
    );
    return rows[0] ?? null;
  }

  async delete(id: Buffer): Promise<void> {
    await this.dataSource.query(`DELETE FROM console_sessions WHERE id = $1`, [id]);
  }
}
