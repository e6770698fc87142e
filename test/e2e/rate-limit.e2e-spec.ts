import { randomUUID } from 'node:crypto';
import { bearer, bootApp, type TestApp } from '../helpers/app';

describe('rate limiting per API key', () => {
  let a: TestApp;
  let b: TestApp;

  beforeAll(async () => {
    // Two API processes on one Redis, as behind a load balancer.
    a = await bootApp({ RATE_LIMIT_PER_MINUTE: '5' }, { workers: false });
    b = await bootApp(
      { RATE_LIMIT_PER_MINUTE: '5', ADMIN_API_KEY: a.adminKey },
      { workers: false },
    );
  });
  afterAll(async () => {
    await a.close();
    await b.close();
  });

  async function newKey(): Promise<string> {
    const res = await a.http
      .post('/api/v1/api-keys')
      .set(bearer(a.adminKey))
      .send({ name: `limited ${randomUUID()}`, role: 'admin' });
    expect(res.status).toBe(201);
    return res.body.key;
  }

  it('answers 429 problem+json with Retry-After past the limit, counted across API processes', async () => {
    const key = await newKey();
    const statuses: number[] = [];
    for (let i = 0; i < 5; i++) {
      const app = i % 2 === 0 ? a : b;
      statuses.push((await app.http.get('/api/v1/api-keys?limit=1').set(bearer(key))).status);
    }
    expect(statuses).toEqual([200, 200, 200, 200, 200]);
    const limited = await b.http.get('/api/v1/api-keys?limit=1').set(bearer(key));
    expect(limited.status).toBe(429);
    expect(limited.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(limited.body).toMatchObject({ status: 429, code: 'rate_limited' });
    expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0);
  });

  it('keeps a separate budget for each key', async () => {
    const first = await newKey();
    const second = await newKey();
    const statuses: number[] = [];
    for (let i = 0; i < 6; i++)
      statuses.push((await a.http.get('/api/v1/api-keys?limit=1').set(bearer(first))).status);
    expect(statuses[5]).toBe(429);
    const other = await a.http.get('/api/v1/api-keys?limit=1').set(bearer(second));
    expect(other.status).toBe(200);
  });

  it('slows down an address that keeps sending invalid keys, and says when to retry', async () => {
    const statuses: number[] = [];
    let last;
    for (let i = 0; i < 62; i++) {
      last = await a.http
        .get('/api/v1/api-keys')
        .set('x-forwarded-for', '203.0.113.9')
        .set(bearer(`ll_aaaaaaaa_${'x'.repeat(43)}`));
      statuses.push(last.status);
    }
    expect(statuses.slice(0, 60)).toEqual(Array(60).fill(401));
    expect(last!.status).toBe(429);
    expect(last!.body.code).toBe('rate_limited');
    expect(Number(last!.headers['retry-after'])).toBeGreaterThan(0);
    // A valid key from the same place is not caught up in it.
    const key = await newKey();
    expect((await a.http.get('/api/v1/api-keys?limit=1').set(bearer(key))).status).toBe(200);
  });

  it('never limits health and metrics', async () => {
    for (let i = 0; i < 8; i++) {
      expect((await a.http.get('/health/live')).status).toBe(200);
    }
    expect((await a.http.get('/metrics')).status).toBe(200);
  });
});
