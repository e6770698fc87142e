import { needsQueueProbe, stallReason, type WorkerObservation } from './worker-health';

const healthy: WorkerObservation = {
  running: true,
  active: 0,
  idleForMs: 0,
  oldestWaitingMs: 0,
};
const STALL = 10_000;

describe('stallReason', () => {
  it('leaves a healthy worker alone', () => {
    expect(stallReason(healthy, STALL)).toBeUndefined();
  });

  it('replaces a worker that stopped running', () => {
    expect(stallReason({ ...healthy, running: false }, STALL)).toBe('it stopped running');
  });

  it('replaces a worker that idles while a job waits (the silent-stop symptom)', () => {
    const stuck = { ...healthy, idleForMs: 30_000, oldestWaitingMs: 25_000 };
    expect(stallReason(stuck, STALL)).toMatch(/waited 25 s while it idled/);
  });

  it('does not blame a busy worker for a backlog, nor an idle one for a fresh job', () => {
    expect(
      stallReason({ ...healthy, active: 3, idleForMs: 30_000, oldestWaitingMs: 30_000 }, STALL),
    ).toBeUndefined();
    expect(
      stallReason({ ...healthy, idleForMs: 30_000, oldestWaitingMs: 2_000 }, STALL),
    ).toBeUndefined();
    expect(
      stallReason({ ...healthy, idleForMs: 2_000, oldestWaitingMs: 30_000 }, STALL),
    ).toBeUndefined();
  });

  it('asks Redis about the queue only when the worker itself looks idle too long', () => {
    expect(needsQueueProbe(healthy, STALL)).toBe(false);
    expect(needsQueueProbe({ ...healthy, idleForMs: 20_000 }, STALL)).toBe(true);
    expect(needsQueueProbe({ ...healthy, idleForMs: 20_000, active: 1 }, STALL)).toBe(false);
  });
});
