import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { Clock } from '../../common/clock';
import { hashApiKey } from './api-key-format';
import { ApiKeysService } from './api-keys.service';
import { ConsoleSessionsRepository } from './console-sessions.repository';
import type { Principal } from './principal';

/** The console's session cookie: an opaque 256-bit token, httpOnly, SameSite=Lax. */
export const SESSION_COOKIE = 'll_session';
/** A session lasts one working shift; then the person signs in again. */
export const SESSION_HOURS = 12;

export interface ConsoleSession {
  principal: Principal;
  csrfToken: string;
}

const tokenId = (token: string) => createHash('sha256').update(token, 'utf8').digest();

/**
 * Console sign-in: a person's API key is exchanged for a server-side session. The session keeps
 * the key's hash, not the key, and is checked against the live keys on every request, so
 * revoking a key (or changing ADMIN_API_KEY) ends its sessions at once.
 */
@Injectable()
export class ConsoleSessionsService {
  constructor(
    private readonly sessions: ConsoleSessionsRepository,
    private readonly keys: ApiKeysService,
    private readonly clock: Clock,
  ) {}

  /** A new session for a valid key: its cookie token and expiry; null for an unknown key. */
  async open(apiKey: string): Promise<{ token: string; expiresAt: Date } | null> {
    const keyHash = hashApiKey(apiKey.trim());
    if (!(await this.keys.authenticateHash(keyHash))) return null;
    const token = randomBytes(32).toString('base64url');
    const expiresAt = new Date(this.clock.now().getTime() + SESSION_HOURS * 3_600_000);
    await this.sessions.insert(
      tokenId(token),
      keyHash,
      randomBytes(24).toString('base64url'),
      expiresAt,
    );
    return { token, expiresAt };
  }

  /** The live session behind a cookie token, or null (unknown, expired or its key revoked). */
  async resolve(token: string | undefined): Promise<ConsoleSession | null> {
    if (!token || token.length > 100) return null;
    const row = await this.sessions.find(tokenId(token), this.clock.now());
    if (!row) return null;
    const principal = await this.keys.authenticateHash(row.key_hash);
    if (!principal) {
      await this.sessions.delete(tokenId(token));
      return null;
    }
    return { principal, csrfToken: row.csrf_token };
  }

  async close(token: string | undefined): Promise<void> {
    if (token && token.length <= 100) await this.sessions.delete(tokenId(token));
  }
}

/** Whether a form's CSRF token is the session's (constant time). */
export function csrfMatches(session: ConsoleSession, given: unknown): boolean {
  if (typeof given !== 'string') return false;
  const a = Buffer.from(given);
  const b = Buffer.from(session.csrfToken);
  return a.length === b.length && timingSafeEqual(a, b);
}
