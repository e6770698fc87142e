import { OutageLog } from './outage-log';

describe('outage log', () => {
  it('writes one line when a dependency goes away and one when it is back', () => {
    const lines: string[] = [];
    let now = 1_000;
    const outage = new OutageLog(
      'PostgreSQL',
      { warn: (m) => lines.push(`warn ${m}`), log: (m) => lines.push(`log ${m}`) },
      () => now,
    );
    outage.succeeded();
    for (let i = 0; i < 10; i++) {
      outage.failed('connection refused');
      now += 1_000;
    }
    expect(outage.down).toBe(true);
    outage.succeeded();
    outage.succeeded();
    expect(lines).toEqual([
      'warn PostgreSQL unavailable (connection refused): retrying until it is back',
      'log PostgreSQL back after 10.0 s (10 attempts failed meanwhile)',
    ]);
    expect(outage.down).toBe(false);
  });
});
