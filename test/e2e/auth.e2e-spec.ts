import { randomUUID } from 'node:crypto';
import { DiscoveryService, MetadataScanner, Reflector } from '@nestjs/core';
import { PATH_METADATA } from '@nestjs/common/constants';
import { hashApiKey, ROLES } from '../../src/modules/auth/api-key-format';
import { PUBLIC_KEY, ROLES_KEY } from '../../src/modules/auth/auth.decorators';
import { bearer, bootApp, type TestApp } from '../helpers/app';

describe('API keys and roles', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await bootApp({}, { workers: false });
  });
  afterAll(() => t.close());

  async function createKey(role: string, extra: object = {}) {
    const res = await t.http
      .post('/api/v1/api-keys')
      .set(bearer(t.adminKey))
      .send({ name: `${role} key ${randomUUID()}`, role, ...extra });
    expect(res.status).toBe(201);
    return res.body as { id: string; key: string; prefix: string; role: string };
  }

  it('refuses a request without a key with 401 problem+json', async () => {
    const res = await t.http.get('/api/v1/api-keys');
    expect(res.status).toBe(401);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(res.body).toMatchObject({ status: 401, code: 'unauthenticated' });
  });

  it('refuses an unknown key with 401', async () => {
    const res = await t.http.get('/api/v1/api-keys').set(bearer('ll_aaaaaaaa_' + 'x'.repeat(43)));
    expect(res.status).toBe(401);
  });

  it('accepts ADMIN_API_KEY as an admin key', async () => {
    const res = await t.http.get('/api/v1/api-keys').set(bearer(t.adminKey));
    expect(res.status).toBe(200);
  });

  it('creates a key shown once, with a visible prefix, usable at once', async () => {
    const created = await createKey('admin');
    expect(created.key).toMatch(/^ll_[a-z0-9]{8}_[A-Za-z0-9_-]{43}$/);
    expect(created.key.startsWith(created.prefix)).toBe(true);
    const fetched = await t.http.get(`/api/v1/api-keys/${created.id}`).set(bearer(created.key));
    expect(fetched.status).toBe(200);
    expect(fetched.body).toMatchObject({ id: created.id, prefix: created.prefix, revokedAt: null });
    expect(fetched.body).not.toHaveProperty('key');
    expect(JSON.stringify(fetched.body)).not.toContain(created.key.slice(12));
  });

  it('stores no key in plain text: only its SHA-256 hash', async () => {
    const created = await createKey('viewer');
    const [row] = await t.dataSource.query(`SELECT * FROM api_keys WHERE id = $1`, [created.id]);
    const stored = JSON.stringify(row, (_k, v) =>
      v?.type === 'Buffer' ? Buffer.from(v.data).toString('hex') : v,
    );
    expect(stored).not.toContain(created.key);
    expect(stored).not.toContain(created.key.slice(12));
    expect(Buffer.from(row.key_hash).equals(hashApiKey(created.key))).toBe(true);
    const [anywhere] = await t.dataSource.query(
      `SELECT count(*)::int AS n FROM api_keys k WHERE k::text LIKE '%' || $1 || '%'`,
      [created.key.slice(12)],
    );
    expect(anywhere.n).toBe(0);
  });

  it.each(['coordinator', 'operator', 'viewer'])(
    'refuses a %s key on an admin route with 403',
    async (role) => {
      const key = await createKey(role);
      const res = await t.http.get('/api/v1/api-keys').set(bearer(key.key));
      expect(res.status).toBe(403);
      expect(res.body).toMatchObject({ status: 403, code: 'forbidden' });
      expect(res.body.detail).toContain('admin');
    },
  );

  it('binds a carrier key to one carrier: carrierId required for it and refused for others', async () => {
    const missing = await t.http
      .post('/api/v1/api-keys')
      .set(bearer(t.adminKey))
      .send({ name: 'feed', role: 'carrier' });
    expect(missing.status).toBe(400);
    expect(missing.body.errors[0].field).toBe('carrierId');
    const stray = await t.http
      .post('/api/v1/api-keys')
      .set(bearer(t.adminKey))
      .send({ name: 'ops', role: 'operator', carrierId: randomUUID() });
    expect(stray.status).toBe(400);
    expect(stray.body.errors[0].field).toBe('carrierId');
    const unknown = await t.http
      .post('/api/v1/api-keys')
      .set(bearer(t.adminKey))
      .send({ name: 'feed', role: 'carrier', carrierId: randomUUID() });
    expect(unknown.status).toBe(422);
    expect(unknown.body.errors[0].field).toBe('carrierId');
    const carrier = await t.http
      .post('/api/v1/carriers')
      .set(bearer(t.adminKey))
      .send({
        name: 'Feed Air',
        kind: 'airline',
        modes: ['air_cargo'],
        code: `FA${Date.now() % 100000}`,
      });
    expect(carrier.status).toBe(201);
    const carrierId = carrier.body.id;
    const bound = await createKey('carrier', { carrierId });
    const [row] = await t.dataSource.query(`SELECT carrier_id FROM api_keys WHERE id = $1`, [
      bound.id,
    ]);
    expect(row.carrier_id).toBe(carrierId);
  });

  it('revokes a key with immediate effect, and revoking again changes nothing', async () => {
    const key = await createKey('admin');
    expect((await t.http.get('/api/v1/api-keys?limit=1').set(bearer(key.key))).status).toBe(200);
    const revoked = await t.http.delete(`/api/v1/api-keys/${key.id}`).set(bearer(t.adminKey));
    expect(revoked.status).toBe(200);
    expect(revoked.body.revokedAt).not.toBeNull();
    const after = await t.http.get('/api/v1/api-keys?limit=1').set(bearer(key.key));
    expect(after.status).toBe(401);
    const again = await t.http.delete(`/api/v1/api-keys/${key.id}`).set(bearer(t.adminKey));
    expect(again.status).toBe(200);
    expect(again.body.revokedAt).toBe(revoked.body.revokedAt);
  });

  it('answers 404 for a key that does not exist and 400 for a malformed id', async () => {
    const missing = await t.http.get(`/api/v1/api-keys/${randomUUID()}`).set(bearer(t.adminKey));
    expect(missing.status).toBe(404);
    expect(missing.body.code).toBe('not_found');
    const malformed = await t.http.delete('/api/v1/api-keys/not-a-uuid').set(bearer(t.adminKey));
    expect(malformed.status).toBe(400);
    expect(malformed.body.errors[0].field).toBe('id');
  });

  it('lists keys newest first, page by page with an opaque cursor', async () => {
    const made = [await createKey('viewer'), await createKey('viewer'), await createKey('viewer')];
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const res: { status: number; body: { data: { id: string }[]; nextCursor: string | null } } =
        await t.http
          .get('/api/v1/api-keys')
          .query(cursor ? { limit: 2, cursor } : { limit: 2 })
          .set(bearer(t.adminKey));
      expect(res.status).toBe(200);
      expect(res.body.data.length).toBeLessThanOrEqual(2);
      seen.push(...res.body.data.map((k) => k.id));
      cursor = res.body.nextCursor;
    } while (cursor);
    expect(new Set(seen).size).toBe(seen.length);
    const positions = made.map((k) => seen.indexOf(k.id));
    expect(positions.every((p) => p >= 0)).toBe(true);
    expect(positions).toEqual([...positions].sort((a, b) => b - a));
    const bad = await t.http.get('/api/v1/api-keys?cursor=nonsense').set(bearer(t.adminKey));
    expect(bad.status).toBe(400);
    expect(bad.body.errors[0].field).toBe('cursor');
  });

  it('declares the roles of every /api/v1 route (deny by default)', () => {
    const discovery = t.app.get(DiscoveryService);
    const reflector = t.app.get(Reflector);
    const scanner = new MetadataScanner();
    const undeclared: string[] = [];
    let routes = 0;
    for (const wrapper of discovery.getControllers()) {
      const controller = wrapper.metatype as { prototype: object } | undefined;
      if (!controller || !wrapper.instance) continue;
      for (const name of scanner.getAllMethodNames(controller.prototype)) {
        const handler = (controller.prototype as Record<string, () => unknown>)[name];
        if (reflector.get(PATH_METADATA, handler) === undefined) continue;
        routes++;
        const isPublic = reflector.getAllAndOverride(PUBLIC_KEY, [handler, controller as never]);
        const roles = reflector.getAllAndOverride<string[]>(ROLES_KEY, [
          handler,
          controller as never,
        ]);
        if (
          !isPublic &&
          !(roles?.length && roles.every((r) => (ROLES as readonly string[]).includes(r)))
        ) {
          undeclared.push(`${wrapper.name}.${name}`);
        }
      }
    }
    expect(routes).toBeGreaterThan(5);
    expect(undeclared).toEqual([]);
  });
});
