import { ApiProperty } from '@nestjs/swagger';
import { ROLES, type Role } from '../api-key-format';
import type { ApiKey } from '../api-key.entity';

export class ApiKeyResponseDto {
  /** @example "6f1c9c1e-3c1e-4c8e-9a55-2b8b2a0f4d11" */
  id: string;
  /** @example "Silk Road Charter feed" */
  name: string;
  @ApiProperty({ enum: ROLES, example: 'carrier' })
  role: Role;
  carrierId: string | null;
  /** The visible start of the key, to recognise it. @example "ll_k3x9a0qz" */
  prefix: string;
  createdAt: string;
  /** The key id (or `env-admin`) that created it. */
  createdBy: string;
  revokedAt: string | null;
}

export class CreatedApiKeyResponseDto extends ApiKeyResponseDto {
  /** The secret, shown this once: store it now. @example "ll_k3x9a0qz_Qm9...43 chars" */
  key: string;
}

export class ApiKeyPageDto {
  data: ApiKeyResponseDto[];
  nextCursor: string | null;
}

export function mapApiKey(key: ApiKey): ApiKeyResponseDto {
  return {
    id: key.id,
    name: key.name,
    role: key.role,
    carrierId: key.carrierId,
    prefix: key.prefix,
    createdAt: key.createdAt.toISOString(),
    createdBy: key.createdBy,
    revokedAt: key.revokedAt?.toISOString() ?? null,
  };
}
