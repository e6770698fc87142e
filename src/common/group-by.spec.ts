import { groupBy } from './group-by';

describe('groupBy', () => {
  it('groups rows by key, keeping their order', () => {
    const rows = [
      { p: 'a', n: 1 },
      { p: 'b', n: 2 },
      { p: 'a', n: 3 },
    ];
    const groups = groupBy(rows, (r) => r.p);
    expect(groups.get('a')?.map((r) => r.n)).toEqual([1, 3]);
    expect(groups.get('b')?.map((r) => r.n)).toEqual([2]);
    expect(groups.get('c')).toBeUndefined();
  });
});
