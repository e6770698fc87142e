import { timingSafeEqual } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { Env } from '../../config/env';
import { DomainError, fieldError } from '../../common/errors/domain-error';
import { decodeCursor, toPage, type Page } from '../../common/http/pagination';
import { generateApiKey, hashApiKey, looksLikeApiKey } from './api-key-format';
import type { ApiKey } from './api-key.entity';
import { ApiKeysRepository } from './api-keys.repository';
import type { CreateApiKeyDto } from './dto/create-api-key.dto';
import { ENV_ADMIN_KEY_ID, type Principal } from './principal';

@Injectable()
export class ApiKeysService {
  private readonly envAdminHash?: Buffer;

  constructor(
    private readonly keys: ApiKeysRepository,
    env: Env,
  ) {
    this.envAdminHash = env.ADMIN_API_KEY ? hashApiKey(env.ADMIN_API_KEY) : undefined;
  }

  /**
   * The principal behind a presented key, or null. Keys are cached per process and dropped
   * by any change to api_keys (a revocation holds in every process within a notification).
   */
  async authenticate(token: string): Promise<Principal | null> {
    const hash = hashApiKey(token);
    if (this.isEnvAdmin(hash)) return this.authenticateHash(hash);
    return looksLikeApiKey(token) ? this.authenticateHash(hash) : null;
  }

  /** The principal behind a key's hash (a console session keeps the hash, not the key). */
  async authenticateHash(hash: Buffer): Promise<Principal | null> {
    if (this.isEnvAdmin(hash)) return { keyId: ENV_ADMIN_KEY_ID, role: 'admin', carrierId: null };
    const key = await this.keys.findActiveByHash(hash);
    return key ? { keyId: key.id, role: key.role, carrierId: key.carrierId } : null;
  }

  private isEnvAdmin(hash: Buffer): boolean {
    return !!this.envAdminHash && timingSafeEqual(hash, this.envAdminHash);
  }

  async create(dto: CreateApiKeyDto, by: Principal): Promise<{ key: ApiKey; secret: string }> {
    if (dto.role !== 'carrier' && dto.carrierId !== undefined) {
      throw fieldError('carrierId', 'only a carrier key is bound to a carrier');
    }
    if (dto.carrierId !== undefined && !(await this.keys.carrierExists(dto.carrierId))) {
      throw fieldError('carrierId', 'no such carrier', 'unprocessable');
    }
    const generated = generateApiKey();
    const key = await this.keys.insert({
      name: dto.name,
      role: dto.role,
      carrierId: dto.carrierId ?? null,
      prefix: generated.prefix,
      keyHash: generated.hash,
      createdBy: by.keyId,
    });
    return { key, secret: generated.key };
  }

  async list(limit: number, cursor?: string): Promise<Page<ApiKey>> {
    const after = cursor ? decodeCursor(cursor, ['timestamp', 'uuid']) : undefined;
    const rows = await this.keys.list(
      limit + 1,
      after ? { createdAt: after[0], id: after[1] } : undefined,
    );
    return toPage(
      rows,
      limit,
      (k) => k,
      (k) => [k.createdAt.toISOString(), k.id],
    );
  }

  async get(id: string): Promise<ApiKey> {
    const key = await this.keys.findById(id);
    if (!key) throw new DomainError('not_found', `API key ${id} does not exist`);
    return key;
  }

  /** Revokes a key; revoking a revoked key changes nothing (DELETE is idempotent). */
  async revoke(id: string, by: Principal): Promise<ApiKey> {
    await this.keys.revoke(id, by.keyId);
    return this.get(id);
  }
}
