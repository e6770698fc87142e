import { dayOf, monthKey, monthOf, regionOf, weekKey, weekOf } from './report-keys';

const week = (iso: string) => weekKey(weekOf(dayOf(Date.parse(iso))));

describe('report keys', () => {
  it('names ISO weeks, whose year is that of their Thursday', () => {
    expect(week('2019-12-30T00:00:00Z')).toBe('2020-W01');
    expect(week('2020-03-20T08:00:00Z')).toBe('2020-W12');
    expect(week('2020-12-31T23:59:59.999Z')).toBe('2020-W53');
    expect(week('2021-01-03T12:00:00Z')).toBe('2020-W53');
    expect(week('2021-01-04T00:00:00Z')).toBe('2021-W01');
    expect(week('1969-12-29T00:00:00Z')).toBe('1970-W01');
  });

  it('names months in UTC', () => {
    expect(monthKey(monthOf(dayOf(Date.parse('2020-02-29T23:59:59Z'))))).toBe('2020-02');
    expect(monthKey(monthOf(dayOf(Date.parse('2020-03-01T00:00:00Z'))))).toBe('2020-03');
    expect(monthKey(monthOf(dayOf(Date.parse('1960-07-15T00:00:00Z'))))).toBe('1960-07');
  });

  it('places countries in their UN M49 intermediate region, else their subregion', () => {
    expect(regionOf('NE')).toEqual({ code: '011', name: 'Western Africa' });
    expect(regionOf('AF')).toEqual({ code: '034', name: 'Southern Asia' });
    expect(regionOf('PS')).toEqual({ code: '145', name: 'Western Asia' });
    expect(regionOf('XX')).toBeNull();
  });
});
