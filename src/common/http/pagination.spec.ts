import { DomainError } from '../errors/domain-error';
import { decodeCursor, encodeCursor, toPage } from './pagination';

describe('pagination', () => {
  it('round-trips a keyset position through an opaque cursor', () => {
    const cursor = encodeCursor(['2020-03-20T08:00:00.000Z', 'abc']);
    expect(cursor).not.toContain('2020');
    expect(decodeCursor(cursor, 2)).toEqual(['2020-03-20T08:00:00.000Z', 'abc']);
  });

  it.each(['garbage', encodeCursor(['only-one']), encodeCursor([{ a: 1 } as never, 'x'])])(
    'refuses a cursor it did not issue (%s) as a validation error on cursor',
    (cursor) => {
      try {
        decodeCursor(cursor, 2);
        throw new Error('expected a DomainError');
      } catch (error) {
        expect(error).toBeInstanceOf(DomainError);
        expect((error as DomainError).details.errors?.[0].field).toBe('cursor');
      }
    },
  );

  it('gives a next cursor only when more rows exist', () => {
    const rows = [1, 2, 3];
    expect(
      toPage(
        rows,
        3,
        (n) => n * 10,
        (n) => [n],
      ),
    ).toEqual({ data: [10, 20, 30], nextCursor: null });
    const page = toPage(
      rows,
      2,
      (n) => n,
      (n) => [n],
    );
    expect(page.data).toEqual([1, 2]);
    expect(decodeCursor(page.nextCursor!, 1)).toEqual([2]);
  });
});
