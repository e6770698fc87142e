import { Injectable } from '@nestjs/common';
import { ChangeCache, ChangeFeed } from '../../common/db/change-feed';
import { InjectRepository } from '@nestjs/typeorm';
import type { Repository } from 'typeorm';
import { ApiKey } from './api-key.entity';

@Injectable()
export class ApiKeysRepository {
  /** Live keys by hash, dropped by any change of api_keys in any process. */
  private readonly live: ChangeCache<string, Pick<ApiKey, 'id' | 'role' | 'carrierId'> | null>;

  constructor(
    @InjectRepository(ApiKey) private readonly keys: Repository<ApiKey>,
    feed: ChangeFeed,
  ) {
    this.live = new ChangeCache(feed, 'api_keys');
  }

  async insert(key: Omit<ApiKey, 'id' | 'createdAt' | 'revokedAt' | 'revokedBy'>): Promise<ApiKey> {
    const saved = await this.keys.save(
      this.keys.create({ ...key, revokedAt: null, revokedBy: null }),
    );
    return this.findById(saved.id) as Promise<ApiKey>;
  }

  /**
   * The live (not revoked) key with this hash: on every request, so kept per process until
   * api_keys changes anywhere (unknown hashes are not kept: guesses would fill the cache).
   */
  findActiveByHash(hash: Buffer): Promise<Pick<ApiKey, 'id' | 'role' | 'carrierId'> | null> {
    return this.live.get(
      hash.toString('base64'),
      async () => {
        const rows: Pick<ApiKey, 'id' | 'role' | 'carrierId'>[] = await this.keys.query(
          `SELECT id, role, carrier_id AS "carrierId" FROM api_keys WHERE key_hash = $1 AND revoked_at IS NULL`,
          [hash],
        );
        return rows[0] ?? null;
      },
      (key) => key !== null,
    );
  }

  async carrierExists(carrierId: string): Promise<boolean> {
    const rows: unknown[] = await this.keys.query(`SELECT 1 FROM carriers WHERE id = $1`, [
      carrierId,
    ]);
    return rows.length > 0;
  }

  findById(id: string): Promise<ApiKey | null> {
    return this.keys.findOneBy({ id });
  }

  /** Newest first, keyset-paginated on (created_at, id). */
  list(limit: number, after?: { createdAt: string; id: string }): Promise<ApiKey[]> {
    const query = this.keys
      .createQueryBuilder('k')
      .orderBy('k.created_at', 'DESC')
      .addOrderBy('k.id', 'DESC')
      .limit(limit);
    if (after) {
      query.where('(k.created_at, k.id) < (:createdAt::timestamptz, :id::uuid)', after);
    }
    return query.getMany();
  }

  /** Revokes a live key; false when it does not exist or was already revoked. */
  async revoke(id: string, by: string): Promise<boolean> {
    const result = await this.keys
      .createQueryBuilder()
      .update(ApiKey)
      .set({ revokedAt: () => 'now()', revokedBy: by })
      .where('id = :id AND revoked_at IS NULL', { id })
      .execute();
    // This process serves the revocation at once; the others on its notification.
    this.live.clear();
    return (result.affected ?? 0) > 0;
  }
}
