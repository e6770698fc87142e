import type { Role } from './api-key-format';

/** Who is calling: the API key behind the request. */
export interface Principal {
  /** The key's id, or `env-admin` for ADMIN_API_KEY. Recorded on every write. */
  keyId: string;
  role: Role;
  carrierId: string | null;
}

export const ENV_ADMIN_KEY_ID = 'env-admin';
