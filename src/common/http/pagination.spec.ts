import { DomainError } from '../errors/domain-error';
import { decodeCursor, encodeCursor, toPage } from './pagination';

describe('pagination', () => {
  it('round-trips a keyset position through an opaque cursor', () => {
    const id = '6f1c9c1e-3c1e-4c8e-9a55-2b8b2a0f4d11';
    const cursor = encodeCursor(['2020-03-20T08:00:00.000Z', id]);
    expect(cursor).not.toContain('2020');
    expect(decodeCursor(cursor, ['timestamp', 'uuid'])).toEqual(['2020-03-20T08:00:00.000Z', id]);
  });

  it.each([
    'garbage',
    encodeCursor(['only-one']),
    encodeCursor([{ a: 1 } as never, 'x']),
    encodeCursor(['x', 'y']),
    encodeCursor(['2020-03-20T08:00:00.000Z', 'not-a-uuid']),
    encodeCursor(['2020-02-30T00:00:00.000Z', '6f1c9c1e-3c1e-4c8e-9a55-2b8b2a0f4d11']),
  ])('refuses a cursor it did not issue (%s) as a validation error on cursor', (cursor) => {
    try {
      decodeCursor(cursor, ['timestamp', 'uuid']);
      throw new Error('expected a DomainError');
    } catch (error) {
      expect(error).toBeInstanceOf(DomainError);
      expect((error as DomainError).details.errors?.[0].field).toBe('cursor');
    }
  });

  it('gives a next cursor only when more rows exist', () => {
    const rows = ['a', 'b', 'c'];
    const all = toPage(
      rows,
      3,
      (r) => r.toUpperCase(),
      (r) => [r],
    );
    expect(all).toEqual({ data: ['A', 'B', 'C'], nextCursor: null });
    const page = toPage(
      rows,
      2,
      (r) => r,
      (r) => [r],
    );
    expect(page.data).toEqual(['a', 'b']);
    expect(decodeCursor(page.nextCursor!, ['text'])).toEqual(['b']);
  });
});
