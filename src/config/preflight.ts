import { Client } from 'pg';
import { Redis } from 'ioredis';

const START_HINT = {
  postgres:
    'Start PostgreSQL (e.g. `docker compose up -d postgres`, or `pg_ctlcluster <version> main start`) ' +
    'or point DATABASE_URL at a running server.',
  redis:
    'Start Redis (e.g. `docker compose up -d redis`, or `redis-server --daemonize yes`) ' +
    'or point REDIS_URL at a running server.',
};

export class ServiceUnreachableError extends Error {
  constructor(
    readonly service: 'PostgreSQL' | 'Redis',
    target: string,
    cause: string,
    hint: string,
  ) {
    super(`${service} is not reachable at ${target}: ${cause}. ${hint}`);
    this.name = 'ServiceUnreachableError';
  }
}

/** The URL without its password, for messages. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return '(unparseable URL)';
  }
}

/**
 * Checks that PostgreSQL answers and creates the target database if it does not exist yet,
 * so a fresh machine needs no manual `createdb`.
 */
export async function ensureDatabase(databaseUrl: string, timeoutMs = 4_000): Promise<void> {
  const target = new URL(databaseUrl);
  const dbName = decodeURIComponent(target.pathname.replace(/^\//, '')) || 'postgres';
  const tryConnect = async (url: string) => {
    const client = new Client({ connectionString: url, connectionTimeoutMillis: timeoutMs });
    client.on('error', () => undefined);
    await client.connect();
    return client;
  };
  let client: Client;
  try {
    client = await tryConnect(databaseUrl);
    await client.end();
    return;
  } catch (error) {
    const code = (error as { code?: string }).code;
    if (code !== '3D000') {
      // Anything but "database does not exist" means the server itself is the problem.
      throw new ServiceUnreachableError(
        'PostgreSQL',
        redactUrl(databaseUrl),
        (error as Error).message || String(code),
        START_HINT.postgres,
      );
    }
  }
  const admin = new URL(databaseUrl);
  admin.pathname = '/postgres';
  client = await tryConnect(admin.toString());
  try {
    await client.query(`CREATE DATABASE "${dbName.replaceAll('"', '""')}"`);
  } catch (error) {
    // Another process may have created it at the same moment.
    if ((error as { code?: string }).code !== '42P04') throw error;
  } finally {
    await client.end();
  }
}

/** Checks that Redis answers a PING. */
export async function checkRedis(redisUrl: string, timeoutMs = 4_000): Promise<void> {
  const redis = new Redis(redisUrl, {
    lazyConnect: true,
    connectTimeout: timeoutMs,
    commandTimeout: timeoutMs,
    maxRetriesPerRequest: 0,
    enableOfflineQueue: false,
    retryStrategy: () => null,
  });
  redis.on('error', () => undefined);
  try {
    await redis.connect();
    await redis.ping();
  } catch (error) {
    throw new ServiceUnreachableError(
      'Redis',
      redactUrl(redisUrl),
      (error as Error).message,
      START_HINT.redis,
    );
  } finally {
    redis.disconnect();
  }
}
