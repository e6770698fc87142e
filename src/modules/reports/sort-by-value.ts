/**
 * Sorts slots by their value in `values` (ascending, NaN not allowed), returning a new array:
 * an LSD radix sort over the float64 bits (16-bit digits, a pass skipped when every key shares
 * its digit), linear in the number of slots where a comparison sort of a million slots through
 * a JS comparator takes most of a second. Equal values keep no particular order.
 */
export function sortByValue(slots: Int32Array, values: Float64Array): Int32Array {
  const n = slots.length;
  const words = new Uint32Array(values.buffer, values.byteOffset, values.length * 2);
  const hiWord = LITTLE_ENDIAN ? 1 : 0;
  let from = slots.slice();
  if (n < 2) return from;
  let to = new Int32Array(n);
  const counts = new Uint32Array(RADIX);
  // Digits from least to most significant: the low word's two halves, then the high word's.
  for (const [word, shift] of [
    [1 - hiWord, 0],
    [1 - hiWord, 16],
    [hiWord, 0],
    [hiWord, 16],
  ] as const) {
    counts.fill(0);
    for (let k = 0; k < n; k++) counts[digit(words, from[k], word, hiWord, shift)]++;
    if (counts.includes(n)) continue;
    let sum = 0;
    for (let d = 0; d < RADIX; d++) {
      const c = counts[d];
      counts[d] = sum;
      sum += c;
    }
    for (let k = 0; k < n; k++) {
      const slot = from[k];
      to[counts[digit(words, slot, word, hiWord, shift)]++] = slot;
    }
    const t = from;
    from = to;
    to = t;
  }
  return from;
}

const RADIX = 1 << 16;
const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/**
 * A 16-bit digit of the value's bits made to sort as unsigned integers: a positive number has
 * its sign bit set, a negative one all its bits flipped (so larger magnitudes come first).
 */
function digit(
  words: Uint32Array,
  slot: number,
  word: number,
  hiWord: number,
  shift: number,
): number {
  const hi = words[slot * 2 + hiWord];
  const negative = hi >>> 31 === 1;
  let bits = words[slot * 2 + word];
  if (negative) bits = ~bits;
  else if (word === hiWord) bits ^= 0x8000_0000;
  return (bits >>> shift) & 0xffff;
}
