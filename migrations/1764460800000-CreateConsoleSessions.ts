import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Console sessions: a person signs in with their API key and gets a session cookie. The row is
 * keyed by a hash of the cookie's token (a copy of the table opens no session) and holds the
 * hash of the key it was opened with, so a revoked key ends its sessions on their next request,
 * and the CSRF token its forms must carry.
 */
export class CreateConsoleSessions1764460800000 implements MigrationInterface {
  name = 'CreateConsoleSessions1764460800000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE console_sessions (
        id bytea PRIMARY KEY,
        key_hash bytea NOT NULL,
        csrf_token text NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        expires_at timestamptz NOT NULL
      )`);
    await q.query(`CREATE INDEX console_sessions_expiry ON console_sessions (expires_at)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE console_sessions`);
  }
}
