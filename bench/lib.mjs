// What the benchmarks share: a free port, and Lifeline started as a child process.
import { spawn } from 'node:child_process';
import { createServer } from 'node:net';

export const freePort = () =>
  new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });

/**
 * Starts `node dist/main.js` (workers in-process) on 127.0.0.1:`port` with `env` (its database,
 * queue prefix and admin key at least) and resolves once /health/ready answers. The admin key is
 * rate-limited like any other, so the limit is set to its maximum.
 */
export async function startLifeline(port, env, nodeArgs = []) {
  const child = spawn(process.execPath, [...nodeArgs, 'dist/main.js'], {
    env: {
      ...process.env,
      PORT: String(port),
      HOST: '127.0.0.1',
      RATE_LIMIT_PER_MINUTE: '1000000',
      LOG_LEVEL: 'warn',
      DB_POOL_SIZE: '20',
      ...env,
    },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  for (let i = 0; i < 300; i++) {
    const ok = await fetch(`http://127.0.0.1:${port}/health/ready`).then(
      (r) => r.ok,
      () => false,
    );
    if (ok) return child;
    await new Promise((r) => setTimeout(r, 100));
  }
  child.kill('SIGKILL');
  throw new Error('Lifeline did not become ready within 30 s');
}
