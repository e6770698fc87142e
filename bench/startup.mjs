// Start-up time and idle memory of the API (`node dist/main.js`, workers on), beside a bare
// Node HTTP server measured in the same run as the baseline. Needs `npm run build` first and
// PostgreSQL and Redis on their defaults. Prints figures; asserts nothing.
//   node bench/startup.mjs [runs=5]
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { freePort } from './lib.mjs';

const runs = Number(process.argv[2] ?? 5);
const IDLE_MS = 5_000;

const rssMiB = (pid) => {
  const line = readFileSync(`/proc/${pid}/status`, 'utf8')
    .split('\n')
    .find((l) => l.startsWith('VmRSS:'));
  return Number(line.split(/\s+/)[1]) / 1024;
};

async function measure(args, env, readyPath) {
  const port = await freePort();
  const started = performance.now();
  const child = spawn(process.execPath, args, {
    env: { ...process.env, ...env, PORT: String(port), LOG_LEVEL: 'warn' },
    stdio: 'ignore',
  });
  for (;;) {
    const ok = await fetch(`http://127.0.0.1:${port}${readyPath}`).then(
      (r) => r.ok,
      () => false,
    );
    if (ok) break;
    if (performance.now() - started > 30_000) throw new Error('not ready after 30 s');
    await new Promise((r) => setTimeout(r, 10));
  }
  const readyMs = performance.now() - started;
  await new Promise((r) => setTimeout(r, IDLE_MS));
  const rss = rssMiB(child.pid);
  child.kill('SIGTERM');
  await new Promise((r) => child.once('exit', r));
  return { readyMs, rss };
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

const baseline = [];
const lifeline = [];
const bare = `require('http').createServer((q,s)=>s.end('ok')).listen(process.env.PORT,'127.0.0.1')`;
for (let i = 0; i < runs; i++) {
  baseline.push(await measure(['-e', bare], {}, '/'));
  lifeline.push(
    await measure(
      ['dist/main.js'],
      { ADMIN_API_KEY: randomBytes(24).toString('hex') },
      '/health/ready',
    ),
  );
}
const row = (name, xs) =>
  `${name.padEnd(28)} ready ${median(xs.map((x) => x.readyMs))
    .toFixed(0)
    .padStart(6)} ms   idle RSS ${median(xs.map((x) => x.rss))
    .toFixed(1)
    .padStart(6)} MiB`;
console.log(`median of ${runs} runs, RSS read ${IDLE_MS / 1000} s after ready`);
console.log(row('bare node http (baseline)', baseline));
console.log(row('lifeline dist/main.js', lifeline));
console.log(
  `ratio: start-up x${(median(lifeline.map((x) => x.readyMs)) / median(baseline.map((x) => x.readyMs))).toFixed(1)}, ` +
    `RSS x${(median(lifeline.map((x) => x.rss)) / median(baseline.map((x) => x.rss))).toFixed(1)}`,
);
