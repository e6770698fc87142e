import { DataSource } from 'typeorm';
import { prepareStatements } from '../../src/common/db/prepared-statements';
import { dataSourceOptions } from '../../src/config/data-source';

describe('statements prepared once per connection', () => {
  let dataSource: DataSource;

  beforeAll(async () => {
    dataSource = new DataSource({
      ...dataSourceOptions(process.env.DATABASE_URL!, 1),
      migrations: [],
    });
    await dataSource.initialize();
    prepareStatements(dataSource);
    await dataSource.query(`CREATE TABLE prepared_probe (id int PRIMARY KEY)`);
    await dataSource.query(`INSERT INTO prepared_probe VALUES (1), (2)`);
  });
  afterAll(async () => {
    await dataSource.query(`DROP TABLE IF EXISTS prepared_probe`);
    await dataSource.destroy();
  });

  const prepared = async () =>
    (await dataSource.query(
      `SELECT statement FROM pg_prepared_statements WHERE statement LIKE '%prepared_probe WHERE%'`,
    )) as unknown[];

  it('names a parameterised statement, so its second run binds the one already parsed', async () => {
    const sql = `SELECT * FROM prepared_probe WHERE id = $1`;
    expect(await dataSource.query(sql, [1])).toEqual([{ id: 1 }]);
    expect(await dataSource.query(sql, [2])).toEqual([{ id: 2 }]);
    expect(await prepared()).toHaveLength(1);
  });

  it('prepares afresh after a migration changed the columns under it (one failure, then works)', async () => {
    const sql = `SELECT * FROM prepared_probe WHERE id >= $1 ORDER BY id`;
    expect(await dataSource.query(sql, [1])).toHaveLength(2);
    await dataSource.query(`ALTER TABLE prepared_probe ADD COLUMN note text`);
    await expect(dataSource.query(sql, [1])).rejects.toThrow(/cached plan must not change/);
    expect(await dataSource.query(sql, [1])).toEqual([
      { id: 1, note: null },
      { id: 2, note: null },
    ]);
  });
});
