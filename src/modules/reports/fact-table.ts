/**
 * Rows of report facts as columns that grow: the fact's slot (its id − 1), when its interval
 * started and how long it took (ms), and its labels packed in two words (see `ReportStore`).
 * A report reads a table front to back, so the columns of one row sit at the same index.
 */
export class FactTable {
  length = 0;
  slot = new Int32Array(0);
  started = new Float64Array(0);
  duration = new Float64Array(0);
  /** Country, priority, mode and carrier codes. */
  labels = new Uint32Array(0);
  /** Category bits and the SLA outcome. */
  flags = new Uint32Array(0);

  /** Makes room for `rows` rows. */
  reserve(rows: number): void {
    if (rows <= this.slot.length) return;
    const n = Math.max(rows, Math.ceil(this.slot.length * 1.25), 1024);
    this.slot = resized(this.slot, n);
    this.started = resized(this.started, n);
    this.duration = resized(this.duration, n);
    this.labels = resized(this.labels, n);
    this.flags = resized(this.flags, n);
  }

  /** Drops the columns' room beyond `length` (after a large table was emptied). */
  shrink(): void {
    const n = Math.max(this.length, 1024);
    if (this.slot.length <= n * 2) return;
    this.slot = resized(this.slot, n);
    this.started = resized(this.started, n);
    this.duration = resized(this.duration, n);
    this.labels = resized(this.labels, n);
    this.flags = resized(this.flags, n);
  }

  /** Appends a row; returns its index. */
  push(slot: number, started: number, duration: number, labels: number, flags: number): number {
    this.reserve(this.length + 1);
    const row = this.length++;
    this.set(row, slot, started, duration, labels, flags);
    return row;
  }

  set(
    row: number,
    slot: number,
    started: number,
    duration: number,
    labels: number,
    flags: number,
  ): void {
    this.slot[row] = slot;
    this.started[row] = started;
    this.duration[row] = duration;
    this.labels[row] = labels;
    this.flags[row] = flags;
  }

  /** Copies row `from` of `source` (this table by default) to row `to` of this one. */
  copy(from: number, to: number, source: FactTable = this): void {
    this.set(
      to,
      source.slot[from],
      source.started[from],
      source.duration[from],
      source.labels[from],
      source.flags[from],
    );
  }
}

function resized<T extends Int32Array | Float64Array | Uint32Array>(array: T, n: number): T {
  const next = new (array.constructor as new (size: number) => T)(n);
  next.set(array.subarray(0, Math.min(n, array.length)));
  return next;
}
