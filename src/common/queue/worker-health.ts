/** What the supervisor knows of one worker at one tick. */
export interface WorkerObservation {
  running: boolean;
  /** Jobs it is running now. */
  active: number;
  /** Since it last started or finished a job (or was created). */
  idleForMs: number;
  /** How long the oldest job of its queue has been waiting (0 if none). */
  oldestWaitingMs: number;
}

/** Why a worker must be replaced, or undefined when it looks healthy. */
export function stallReason(o: WorkerObservation, stallMs: number): string | undefined {
  if (!o.running) return 'it stopped running';
  if (o.active === 0 && o.idleForMs > stallMs && o.oldestWaitingMs > stallMs) {
    return `a job has waited ${Math.round(o.oldestWaitingMs / 1000)} s while it idled`;
  }
  return undefined;
}

/** Whether the supervisor needs the queue's oldest waiting job to judge this worker. */
export function needsQueueProbe(
  o: Omit<WorkerObservation, 'oldestWaitingMs'>,
  stallMs: number,
): boolean {
  return o.running && o.active === 0 && o.idleForMs > stallMs;
}
