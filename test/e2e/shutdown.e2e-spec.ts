import { randomBytes, randomUUID } from 'node:crypto';
import { request as httpRequest, Agent } from 'node:http';

import { serviceEnv, type Spawned, startApi } from '../helpers/process';

const ADMIN = `admin-${randomBytes(16).toString('hex')}`;

/** One HTTP call over `agent`: its status, or the error that ended it. */
function send(
  agent: Agent,
  port: number,
  method: string,
  path: string,
  body?: object,
): Promise<{ status?: number; error?: string; connection?: string; body?: string }> {
  return new Promise((resolve) => {
    const req = httpRequest(
      {
        host: '127.0.0.1',
        port,
        method,
        path,
        agent,
        headers: { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/json' },
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (d: string) => (text += d));
        res.on('end', () =>
          resolve({
            status: res.statusCode,
            connection: res.headers.connection as string,
            body: text,
          }),
        );
      },
    );
    req.on('error', (error: NodeJS.ErrnoException) =>
      resolve({ error: error.code ?? error.message }),
    );
    req.end(body ? JSON.stringify(body) : undefined);
  });
}

describe('the API on SIGTERM', () => {
  let api: Spawned;
  let port: number;

  beforeAll(async () => {
    ({ api, port } = await startApi(
      serviceEnv({ ADMIN_API_KEY: ADMIN, WORKERS: 'on', RATE_LIMIT_PER_MINUTE: '1000000' }),
    ));
  });
  afterAll(async () => {
    if (api.child.exitCode === null && api.child.signalCode === null) api.child.kill('SIGKILL');
    await api.exited;
  });

  it('answers every request it received, closes idle keep-alive connections and SSE streams, and exits within 10 s', async () => {
    const agent = new Agent({ keepAlive: true, maxSockets: 64 });
    const item = await send(agent, port, 'POST', '/api/v1/items', {
      code: `STOP-${randomUUID().slice(0, 8).toUpperCase()}`,
      name: 'Surgical mask',
      category: 'ppe',
      unit: 'piece',
      coldChain: false,
    });
    expect(item.status).toBe(201);
    // Sixteen idle keep-alive connections, warmed up and left open.
    const idle = new Agent({ keepAlive: true, maxSockets: 16 });
    await Promise.all(
      Array.from({ length: 16 }, () => send(idle, port, 'GET', '/api/v1/requests?limit=1')),
    );
    const idleSockets = Object.values(idle.freeSockets).flat();
    expect(idleSockets.length).toBe(16);
    const idleClosed = Promise.all(
      idleSockets.map((s) => new Promise<void>((resolve) => s!.once('close', () => resolve()))),
    );
    // An SSE client on the alert stream.
    const stream = await fetch(`http://127.0.0.1:${port}/api/v1/alerts/stream`, {
      headers: { authorization: `Bearer ${ADMIN}` },
    });
    expect(stream.status).toBe(200);
    const streamText = stream.text();

    // A load of writes in flight when the signal comes.
    const code = JSON.parse(item.body!).code as string;
    const load = Array.from({ length: 48 }, (_, i) =>
      send(agent, port, 'POST', '/api/v1/requests', {
        recipientCountry: 'TD',
        organisation: `Shutdown ${i}`,
        destination: 'TDNDJ',
        priority: 'urgent',
        kind: 'donation',
        lines: [{ itemCode: code, quantity: 1 }],
      }),
    );
    await new Promise((r) => setTimeout(r, 30));
    const signalledAt = Date.now();
    api.child.kill('SIGTERM');
    // While it drains, it tells load balancers to send traffic elsewhere.
    await new Promise((r) => setTimeout(r, 200));
    const ready = await fetch(`http://127.0.0.1:${port}/health/ready`);
    expect(ready.status).toBe(503);
    expect(await ready.json()).toMatchObject({ status: 'shutting_down' });
    const answers = await Promise.all(load);
    const exit = await api.exited;
    const exitedAfterMs = Date.now() - signalledAt;
    process.stdout.write(
      `SIGTERM under load: ${answers.filter((a) => a.status === 201).length} of ${answers.length} writes answered 201, exit after ${exitedAfterMs} ms\n`,
    );
    expect(answers.filter((a) => a.error)).toEqual([]);
    expect(answers.map((a) => a.status)).toEqual(answers.map(() => 201));
    expect(exit.code).toBe(0);
    expect(exitedAfterMs).toBeLessThan(10_000);
    await idleClosed;
    // The stream ended with an event saying why, so its client reconnects elsewhere.
    expect(await streamText).toContain('event: shutdown');
    agent.destroy();
    idle.destroy();
  });
});
