import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { deliveryAgent, postMessage } from './webhook-sender';

describe('deliveryAgent', () => {
  let server: Server;
  let port: number;
  const hits: string[] = [];

  beforeAll(async () => {
    server = createServer((req, res) => {
      hits.push(req.url ?? '');
      res.writeHead(204).end();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as AddressInfo).port;
  });
  afterAll(() => new Promise((resolve) => server.close(resolve)));

  it('refuses to connect where a name resolves to a private address, whatever was checked before', async () => {
    // "localhost" stands for a name re-pointed at a private address after the pre-check.
    const agent = deliveryAgent(false);
    const sent = await postMessage(`http://localhost:${port}/rebound`, {}, '{}', agent);
    await agent.close();
    expect(sent.statusCode).toBeNull();
    expect(sent.error).toMatch(/localhost resolves to .*not a public address/);
    expect(hits).not.toContain('/rebound');
  });

  it('connects to private addresses when they are allowed', async () => {
    const agent = deliveryAgent(true);
    const sent = await postMessage(`http://localhost:${port}/allowed`, {}, '{}', agent);
    await agent.close();
    expect(sent).toMatchObject({ statusCode: 204, error: null });
    expect(hits).toContain('/allowed');
  });
});
