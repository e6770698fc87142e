import { connect } from 'node:net';
import { brotliDecompressSync } from 'node:zlib';
import { bearer, bootApp, type TestApp } from '../helpers/app';

const PROBLEM = /^application\/problem\+json/;

describe('HTTP basics', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await bootApp({}, { workers: false });
  });
  afterAll(() => t.close());

  it('refuses an unknown field with 400 naming it, and writes nothing', async () => {
    const before = await t.dataSource.query(`SELECT count(*)::int AS n FROM api_keys`);
    const res = await t.http
      .post('/api/v1/api-keys')
      .set(bearer(t.adminKey))
      .send({ name: 'feed', role: 'viewer', colour: 'blue' });
    expect(res.status).toBe(400);
    expect(res.headers['content-type']).toMatch(PROBLEM);
    expect(res.body).toMatchObject({
      type: 'https://lifeline.dev/problems/validation-failed',
      title: 'The request is not valid',
      status: 400,
      code: 'validation_failed',
      errors: [{ field: 'colour', messages: ['is not a known field'] }],
    });
    expect(res.body.detail).toContain('colour');
    const after = await t.dataSource.query(`SELECT count(*)::int AS n FROM api_keys`);
    expect(after[0].n).toBe(before[0].n);
  });

  it('names every invalid field at once', async () => {
    const res = await t.http
      .post('/api/v1/api-keys')
      .set(bearer(t.adminKey))
      .send({ name: '', role: 'pilot' });
    expect(res.status).toBe(400);
    expect(res.body.errors.map((e: { field: string }) => e.field).sort()).toEqual(['name', 'role']);
  });

  it('compresses a large answer for a client that accepts brotli, and a small one not at all', async () => {
    const fastify = t.app.getHttpAdapter().getInstance();
    const asset = (encoding: string) =>
      fastify.inject({
        url: '/console/assets/console.css',
        headers: { 'accept-encoding': encoding },
      });
    const big = await asset('br, gzip');
    expect(big.statusCode).toBe(200);
    expect(big.headers['content-encoding']).toBe('br');
    const css = brotliDecompressSync(big.rawPayload).toString('utf8');
    expect(css).toContain('.chart');
    expect(big.rawPayload.length).toBeLessThan(css.length / 2);
    const plain = await asset('identity');
    expect(plain.headers['content-encoding']).toBeUndefined();
    expect(plain.payload).toBe(css);
    const small = await t.http.get('/health/live').set('accept-encoding', 'br, gzip');
    expect(small.headers['content-encoding']).toBeUndefined();
  });

  it('answers 413 problem+json to a body over 1 MiB', async () => {
    const res = await t.http
      .post('/api/v1/api-keys')
      .set(bearer(t.adminKey))
      .set('content-type', 'application/json')
      .send(JSON.stringify({ name: 'x'.repeat(1024 * 1024 + 10), role: 'viewer' }));
    expect(res.status).toBe(413);
    expect(res.headers['content-type']).toMatch(PROBLEM);
    expect(res.body).toMatchObject({ status: 413, code: 'payload_too_large' });
  });

  it('answers 400 problem+json to malformed JSON', async () => {
    const res = await t.http
      .post('/api/v1/api-keys')
      .set(bearer(t.adminKey))
      .set('content-type', 'application/json')
      .send('{"name": "x",');
    expect(res.status).toBe(400);
    expect(res.headers['content-type']).toMatch(PROBLEM);
    expect(res.body.code).toBe('malformed_request');
  });

  it('answers 415 problem+json to a body that is not JSON', async () => {
    const res = await t.http
      .post('/api/v1/api-keys')
      .set(bearer(t.adminKey))
      .set('content-type', 'application/xml')
      .send('<key/>');
    expect(res.status).toBe(415);
    expect(res.headers['content-type']).toMatch(PROBLEM);
    expect(res.body.code).toBe('unsupported_media_type');
  });

  it('answers 404 problem+json to an unknown route', async () => {
    const res = await t.http.get('/api/v1/nothing-here').set(bearer(t.adminKey));
    expect(res.status).toBe(404);
    expect(res.headers['content-type']).toMatch(PROBLEM);
    expect(res.body.code).toBe('not_found');
  });

  it('answers 405 problem+json with Allow to a known path asked with another method', async () => {
    const res = await t.http.delete('/api/v1/requests').set(bearer(t.adminKey));
    expect(res.status).toBe(405);
    expect(res.headers['content-type']).toMatch(PROBLEM);
    expect(res.headers.allow).toBe('GET, HEAD, POST');
    expect(res.body).toMatchObject({ status: 405, code: 'method_not_allowed' });
    const one = await t.http
      .put('/api/v1/requests/7f6f0a52-1b1e-4a57-9d7c-0d5bb1a2f001')
      .set(bearer(t.adminKey));
    expect(one.status).toBe(405);
    expect(one.headers.allow).toBe('GET, HEAD');
  });

  it('answers the HTTP server’s own refusals as problem+json: 414, 431 and 400', async () => {
    const long = await t.http.get(`/api/v1/requests?q=${'a'.repeat(5000)}`);
    expect(long.status).toBe(414);
    expect(long.headers['content-type']).toMatch(PROBLEM);
    expect(long.body).toMatchObject({ status: 414, code: 'uri_too_long' });
    await t.app.listen(0, '127.0.0.1');
    const port = Number(new URL(await t.app.getUrl()).port);
    const raw = (request: string) =>
      new Promise<string>((resolve, reject) => {
        const socket = connect(port, '127.0.0.1', () => socket.write(request));
        let answer = '';
        socket.on('data', (d) => (answer += d.toString()));
        socket.on('close', () => resolve(answer));
        socket.on('error', reject);
      });
    const huge = await raw(
      `GET /api/v1/requests?q=${'a'.repeat(20_000)} HTTP/1.1\r\nHost: x\r\n\r\n`,
    );
    expect(huge).toMatch(/^HTTP\/1\.1 431 /);
    expect(huge).toContain(`Content-Type: application/problem+json`);
    expect(JSON.parse(huge.split('\r\n\r\n')[1])).toMatchObject({
      status: 431,
      code: 'headers_too_large',
    });
    const garbage = await raw('NOT HTTP AT ALL\r\n\r\n');
    expect(garbage).toMatch(/^HTTP\/1\.1 400 /);
    expect(JSON.parse(garbage.split('\r\n\r\n')[1])).toMatchObject({
      status: 400,
      code: 'malformed_request',
    });
  });

  it('refuses a page size over the bound, naming limit', async () => {
    const res = await t.http.get('/api/v1/api-keys?limit=5000').set(bearer(t.adminKey));
    expect(res.status).toBe(400);
    expect(res.body.errors[0].field).toBe('limit');
  });

  it('gives every response a request id, keeping a sane one the caller sent', async () => {
    const generated = await t.http.get('/health/live');
    expect(generated.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
    const kept = await t.http.get('/health/live').set('x-request-id', 'carrier-feed-42');
    expect(kept.headers['x-request-id']).toBe('carrier-feed-42');
    const replaced = await t.http.get('/health/live').set('x-request-id', 'bad id with spaces');
    expect(replaced.headers['x-request-id']).not.toBe('bad id with spaces');
  });

  it('serves the OpenAPI document, with every /api/v1 operation secured and documented', async () => {
    const res = await t.http.get('/docs-json');
    expect(res.status).toBe(200);
    const paths = res.body.paths as Record<
      string,
      Record<string, { security?: unknown[]; responses: object }>
    >;
    const operations = Object.entries(paths)
      .filter(([path]) => path.startsWith('/api/v1/'))
      .flatMap(([path, ops]) => Object.entries(ops).map(([method, op]) => ({ path, method, op })));
    expect(operations.length).toBeGreaterThanOrEqual(4);
    for (const { op } of operations) {
      expect(op.security).toEqual([{ bearer: [] }]);
      expect(Object.keys(op.responses)).toEqual(expect.arrayContaining(['400', '401', '403']));
    }
    expect(Object.keys(paths)).toEqual(
      expect.arrayContaining(['/health/live', '/health/ready', '/metrics']),
    );
    const schema = res.body.components.schemas.CreateApiKeyDto;
    expect(schema.required).toEqual(expect.arrayContaining(['name', 'role']));
    const ui = await t.http.get('/docs');
    expect(ui.status).toBe(200);
    expect(ui.text).toContain('swagger');
  });

  it('exposes Prometheus metrics: HTTP latency, queue depths and outbox backlog', async () => {
    await t.http.get('/api/v1/api-keys').set(bearer(t.adminKey));
    const res = await t.http.get('/metrics');
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/plain/);
    expect(res.text).toMatch(
      /http_request_duration_seconds_bucket\{.*route="\/api\/v1\/api-keys".*\}/,
    );
    expect(res.text).toMatch(/lifeline_queue_jobs\{queue="maintenance",state="waiting"\} \d+/);
    expect(res.text).toMatch(/lifeline_outbox_backlog \d+/);
    expect(res.text).toContain('process_resident_memory_bytes');
  });
});
