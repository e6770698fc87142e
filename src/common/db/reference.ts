/**
 * SQL for the next number of a reference sequence, zero-padded to at least six digits:
 * `000042`, then `999999`, `1000000` (`lpad` alone would cut longer numbers to six digits,
 * and references would repeat after a million).
 */
export function nextReferenceNumber(sequence: string): string {
  if (!/^[a-z_]+$/.test(sequence)) throw new Error(`Bad sequence name ${sequence}`);
  return `(SELECT lpad(n::text, greatest(6, length(n::text)), '0') FROM nextval('${sequence}') AS n)`;
}
