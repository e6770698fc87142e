import { findNul, findOutlandishDate } from './validation.pipe';
import { canonicalJson } from './idempotency.interceptor';

describe('input PostgreSQL would refuse', () => {
  it('finds a NUL character by its path', () => {
    expect(findNul({ a: 'ok', lines: [{ lot: 'L1' }, { lot: 'L\u00002' }] })).toBe('lines[1].lot');
    expect(findNul({ a: 'ok', n: 1 })).toBeUndefined();
  });

  it('finds a date outside 1900-2200 by its path', () => {
    expect(findOutlandishDate({ occurredAt: new Date('0000-01-01T00:00:00Z') })).toBe('occurredAt');
    expect(
      findOutlandishDate({ legs: [{ arrival: { planned: new Date(Date.UTC(2300, 0, 1)) } }] }),
    ).toBe('legs[0].arrival.planned');
    expect(findOutlandishDate({ occurredAt: new Date('2020-03-23T10:00:00Z') })).toBeUndefined();
  });
});

describe('canonicalJson', () => {
  it('writes the same text whatever the order of the keys', () => {
    expect(canonicalJson({ b: 1, a: { d: [1, { y: 2, x: 1 }], c: null } })).toBe(
      canonicalJson({ a: { c: null, d: [1, { x: 1, y: 2 }] }, b: 1 }),
    );
    expect(canonicalJson({ a: 1 })).not.toBe(canonicalJson({ a: 2 }));
    expect(canonicalJson({ a: undefined, b: 1 })).toBe(canonicalJson({ b: 1 }));
  });
});
