import { type ChildProcess, spawn } from 'node:child_process';
import { eventually } from './app';
import { freePort } from './redis-server';
import { existsSync } from 'node:fs';
import { join } from 'node:path';

const ROOT = join(__dirname, '..', '..');

export interface Spawned {
  child: ChildProcess;
  output: () => string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null; afterMs: number }>;
}

/** Runs a compiled entry point (`dist/main.js`, `dist/worker.js`) as a user would. */
export function spawnEntry(entry: 'main' | 'worker', env: Record<string, string>): Spawned {
  const file = join(ROOT, 'dist', `${entry}.js`);
  if (!existsSync(file))
    throw new Error(`${file} is missing: run the tests with \`npm test\`, which builds first`);
  const started = Date.now();
  const child = spawn(process.execPath, [file], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<{
    code: number | null;
    signal: NodeJS.Signals | null;
    afterMs: number;
  }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal, afterMs: Date.now() - started })),
  );
  return { child, output: () => out, exited };
}

/** This test file's PostgreSQL, Redis and queue prefix, as a spawned process's environment. */
export function serviceEnv(extra: Record<string, string> = {}): Record<string, string> {
  return {
    DATABASE_URL: process.env.DATABASE_URL!,
    REDIS_URL: process.env.REDIS_URL!,
    QUEUE_PREFIX: process.env.QUEUE_PREFIX!,
    DB_MIGRATE_ON_START: 'false',
    ...extra,
  };
}

/** The built API on a free port of 127.0.0.1 with `env`, once /health/ready answers. */
export async function startApi(
  env: Record<string, string>,
): Promise<{ api: Spawned; port: number; base: string }> {
  const port = await freePort();
  const api = spawnEntry('main', { ...env, PORT: String(port), HOST: '127.0.0.1' });
  const base = `http://127.0.0.1:${port}`;
  await eventually(
    async () => (await fetch(`${base}/health/ready`).catch(() => null))?.ok,
    30_000,
    'the API',
  );
  return { api, port, base };
}
