import type { Role } from './api-key-format';

/** Who is calling: the API key behind the request. */
export interface Principal {
  /** The key's id, or `env-admin` for ADMIN_API_KEY. Recorded on every write. */
  keyId: string;
  role: Role;
  carrierId: string | null;
}

export const ENV_ADMIN_KEY_ID = 'env-admin';

/** No carrier has this id: a carrier key asking for another carrier's rows gets none. */
const NO_CARRIER = '00000000-0000-0000-0000-000000000000';

/** A list filter as a principal may use it: a carrier key sees its own carrier's rows only. */
export function scopeToCarrier<F extends { carrierId?: string }>(filter: F, by: Principal): F {
  if (!by.carrierId) return filter;
  const asked = filter.carrierId;
  return { ...filter, carrierId: asked && asked !== by.carrierId ? NO_CARRIER : by.carrierId };
}
