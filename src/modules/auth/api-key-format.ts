import { createHash, randomBytes } from 'node:crypto';

/** Roles, from most to least powerful; a carrier key is bound to one carrier. */
export const ROLES = ['admin', 'coordinator', 'operator', 'viewer', 'carrier'] as const;
export type Role = (typeof ROLES)[number];

const KEY_PATTERN = /^ll_([a-z0-9]{8})_([A-Za-z0-9_-]{43})$/;

export interface GeneratedKey {
  /** The full secret, shown to its owner once. */
  key: string;
  /** The visible part (`ll_ab12cd34`), safe to list and log. */
  prefix: string;
  hash: Buffer;
}

/**
 * Keys carry 256 random bits, so a plain SHA-256 is a safe one-way store: a slow password hash
 * guards low-entropy secrets, and would only add latency to every request here.
 */
export function hashApiKey(key: string): Buffer {
  return createHash('sha256').update(key, 'utf8').digest();
}

export function generateApiKey(): GeneratedKey {
  const publicId = randomBytes(5).readUIntBE(0, 5).toString(36).padStart(8, '0').slice(-8);
  const key = `ll_${publicId}_${randomBytes(32).toString('base64url')}`;
  return { key, prefix: `ll_${publicId}`, hash: hashApiKey(key) };
}

export function looksLikeApiKey(value: string): boolean {
  return KEY_PATTERN.test(value);
}

/** The token of an `Authorization: Bearer <token>` header, or undefined. */
export function bearerToken(header: string | string[] | undefined): string | undefined {
  if (typeof header !== 'string') return undefined;
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
  return match?.[1];
}
