import { type ChildProcess, spawn } from 'node:child_process';
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
