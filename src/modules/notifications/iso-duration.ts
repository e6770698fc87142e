/** A year and a day: longer is a typing mistake, not an escalation. */
export const MAX_SECONDS = 366 * 24 * 3600;

const DURATION = /^P(?:(\d+)W)?(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+)S)?)?$/;

/**
 * An ISO 8601 duration in weeks, days, hours, minutes and seconds ("PT2H", "P1DT6H") as
 * seconds; undefined when it is not one, is zero, exceeds a year and a day, or uses years or months (whose length
 * depends on the calendar: an escalation waits a fixed time).
 */
export function durationSeconds(text: string): number | undefined {
  const match = DURATION.exec(text);
  if (!match || text === 'P' || text.endsWith('T')) return undefined;
  const [w, d, h, m, s] = match.slice(1).map((part) => Number(part ?? 0));
  const seconds = (((w * 7 + d) * 24 + h) * 60 + m) * 60 + s;
  return seconds > 0 && seconds <= MAX_SECONDS ? seconds : undefined;
}
