import { DataSource } from 'typeorm';
import { nextReferenceNumber } from '../../src/common/db/reference';
import { dataSourceOptions } from '../../src/config/data-source';

describe('nextReferenceNumber', () => {
  const db = new DataSource({ ...dataSourceOptions(process.env.DATABASE_URL!, 1), migrations: [] });
  beforeAll(async () => {
    await db.initialize();
    await db.query(`CREATE TEMP SEQUENCE probe_reference_seq START 999998`);
  });
  afterAll(() => db.destroy());

  it('pads to six digits and keeps every digit past a million', async () => {
    const next = async () =>
      (await db.query(`SELECT ${nextReferenceNumber('probe_reference_seq')} AS n`))[0].n;
    expect([await next(), await next(), await next()]).toEqual(['999998', '999999', '1000000']);
    await db.query(`SELECT setval('probe_reference_seq', 41)`);
    expect(await next()).toBe('000042');
  });
});
