/**
 * Rows of report facts as columns that grow: the fact's slot (its id − 1), when its interval
 * started and how long it took (ms), its labels packed in two words (see `ReportStore`), and
 * an open SLA clock's figures. A report reads a table front to back, so the columns of one row
 * sit at the same index.
 */
export class FactTable {
  length = 0;
  slot = new Int32Array(0);
  started = new Float64Array(0);
  duration = new Float64Array(0);
  /** Country, priority, mode and carrier codes. */
  labels = new Uint32Array(0);
  /** Category bits, the SLA outcome and the open clock's state. */
  flags = new Uint32Array(0);
  /**
   * An open clock's warning and due instants (running) and time left (paused), in ms, NaN when
   * none: only tables that ever held an open clock have them (finished facts are most).
   */
  clocks: { warn: Float64Array; due: Float64Array; left: Float64Array } | null = null;

  /** Makes room for `rows` rows. */
  reserve(rows: number): void {
    if (rows <= this.slot.length) return;
    this.resize(Math.max(rows, Math.ceil(this.slot.length * 1.25), 1024));
  }

  /** Drops the columns' room beyond `length` (after a large table was emptied). */
  shrink(): void {
    const n = Math.max(this.length, 1024);
    if (this.slot.length > n * 2) this.resize(n);
  }

  /** Gives every column room for `n` rows, keeping the rows that fit. */
  private resize(n: number): void {
    this.slot = resized(this.slot, n);
    this.started = resized(this.started, n);
    this.duration = resized(this.duration, n);
    this.labels = resized(this.labels, n);
    this.flags = resized(this.flags, n);
    if (this.clocks) this.clocks = resizedClocks(this.clocks, n);
  }

  /** Appends a row; returns its index. */
  push(
    slot: number,
    started: number,
    duration: number,
    labels: number,
    flags: number,
    clock: ClockFigures = NO_CLOCK,
  ): number {
    this.reserve(this.length + 1);
    const row = this.length++;
    this.set(row, slot, started, duration, labels, flags, clock);
    return row;
  }

  set(
    row: number,
    slot: number,
    started: number,
    duration: number,
    labels: number,
    flags: number,
    clock: ClockFigures = NO_CLOCK,
  ): void {
    this.slot[row] = slot;
    this.started[row] = started;
    this.duration[row] = duration;
    this.labels[row] = labels;
    this.flags[row] = flags;
    if (clock === NO_CLOCK && !this.clocks) return;
    this.clocks ??= resizedClocks(null, this.slot.length);
    this.clocks.warn[row] = clock.warnMs;
    this.clocks.due[row] = clock.dueMs;
    this.clocks.left[row] = clock.leftMs;
  }

  /**
   * Reorders the rows in place so that row k holds what row `order[k]` held (`order` a
   * permutation of the rows): each cycle of the permutation is walked once, one row aside.
   */
  permute(order: Int32Array): void {
    const done = new Uint8Array(this.length);
    const aside = new FactTable();
    aside.reserve(1);
    for (let start = 0; start < this.length; start++) {
      if (done[start] || order[start] === start) continue;
      aside.copy(start, 0, this);
      let at = start;
      for (let from = order[at]; from !== start; from = order[at]) {
        this.copy(from, at);
        done[at] = 1;
        at = from;
      }
      this.copy(0, at, aside);
      done[at] = 1;
    }
  }

  /** Copies row `from` of `source` (this table by default) to row `to` of this one. */
  copy(from: number, to: number, source: FactTable = this): void {
    const c = source.clocks;
    this.set(
      to,
      source.slot[from],
      source.started[from],
      source.duration[from],
      source.labels[from],
      source.flags[from],
      c ? { warnMs: c.warn[from], dueMs: c.due[from], leftMs: c.left[from] } : NO_CLOCK,
    );
  }
}

/** An open clock's figures in ms (NaN: none). */
export interface ClockFigures {
  warnMs: number;
  dueMs: number;
  leftMs: number;
}

export const NO_CLOCK: ClockFigures = Object.freeze({
  warnMs: Number.NaN,
  dueMs: Number.NaN,
  leftMs: Number.NaN,
});

function resizedClocks(clocks: FactTable['clocks'], n: number): NonNullable<FactTable['clocks']> {
  const column = (old: Float64Array | undefined) => {
    const next = new Float64Array(n).fill(Number.NaN);
    if (old) next.set(old.subarray(0, Math.min(n, old.length)));
    return next;
  };
  return { warn: column(clocks?.warn), due: column(clocks?.due), left: column(clocks?.left) };
}

function resized<T extends Int32Array | Float64Array | Uint32Array>(array: T, n: number): T {
  const next = new (array.constructor as new (size: number) => T)(n);
  next.set(array.subarray(0, Math.min(n, array.length)));
  return next;
}
