import { durationSeconds } from './iso-duration';

describe('ISO 8601 durations for escalation', () => {
  it('reads weeks, days, hours, minutes and seconds', () => {
    expect(durationSeconds('PT2H')).toBe(7200);
    expect(durationSeconds('P1DT6H30M')).toBe(86400 + 6 * 3600 + 1800);
    expect(durationSeconds('P1W')).toBe(7 * 86400);
    expect(durationSeconds('PT45S')).toBe(45);
  });

  it('refuses what is not a fixed, positive duration', () => {
    for (const text of [
      '',
      'P',
      'PT',
      'PT0S',
      'P367D',
      'P9999999W',
      'P1M',
      'P1Y',
      '2h',
      'PT1.5H',
      'P1DT',
      '-PT1H',
    ]) {
      expect([text, durationSeconds(text)]).toEqual([text, undefined]);
    }
  });
});
