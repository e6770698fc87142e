import { DataSource } from 'typeorm';
import { dataSourceOptions } from '../../src/config/data-source';
import { ReportRollupsRepository } from '../../src/modules/reports/report-rollups.repository';
import { seedShipments } from '../helpers/seed';

describe('Report rollups refresh', () => {
  const db = new DataSource({ ...dataSourceOptions(process.env.DATABASE_URL!, 4), migrations: [] });
  let rollups: ReportRollupsRepository;
  let requestId: string;

  beforeAll(async () => {
    await db.initialize();
    rollups = new ReportRollupsRepository(db);
    const { shipments } = await seedShipments(db, 3);
    const [row] = await db.query(
      `SELECT DISTINCT o.request_id FROM shipment_items si
         JOIN order_lines ol ON ol.id = si.order_line_id JOIN orders o ON o.id = ol.order_id
        WHERE si.shipment_id = $1`,
      [shipments[0].id],
    );
    requestId = row.request_id;
    // Dispatch and deliver one shipment straight in the tables: the triggers note the changes.
    await db.query(
      `UPDATE shipments SET status = 'delivered', dispatched_at = '2020-03-21T10:00:00.123Z',
              delivered_at = '2020-03-23T16:30:00.456Z' WHERE id = $1`,
      [shipments[0].id],
    );
    await db.query(
      `UPDATE requests SET first_dispatch_at = '2020-03-21T10:00:00.123Z' WHERE id = $1`,
      [requestId],
    );
  });
  afterAll(() => db.destroy());

  const drain = async () => {
    while ((await rollups.refreshDirty(500)) > 0);
  };
  const facts = () =>
    db.query(
      `SELECT subject_id, metric, duration_ms, tx_id::text FROM report_facts
        WHERE subject_id = $1 OR subject_id IN (SELECT si.shipment_id FROM shipment_items si
          JOIN order_lines ol ON ol.id = si.order_line_id JOIN orders o ON o.id = ol.order_id
         WHERE o.request_id = $1)
        ORDER BY subject_id, metric`,
      [requestId],
    );

  it('runs one refresh at a time: the others take nothing while it holds the lock', async () => {
    const results = await Promise.all([1, 2, 3].map(() => rollups.refreshDirty(100_000)));
    expect(results.filter((n) => n > 0)).toHaveLength(1);
    await drain();
    expect(await rollups.pendingCount()).toBe(0);
    const rows = await facts();
    const first = rows.find(
      (r: { subject_id: string; metric: string }) =>
        r.subject_id === requestId && r.metric === 'request_to_first_dispatch',
    );
    expect(first.duration_ms).toBe(34 * 3_600_000 + 123);
  });

  const lastIds = () =>
    db.query(
      `SELECT pg_sequence_last_value(pg_get_serial_sequence('report_facts', 'id')) AS facts,
              pg_sequence_last_value(pg_get_serial_sequence('coverage_cells', 'id')) AS cells`,
    );

  it('rewrites nothing, and draws no new ids, when a subject is refreshed with no change', async () => {
    await drain();
    const before = await facts();
    const ids = await lastIds();
    await db.query(
      `INSERT INTO report_dirty (subject_type, subject_id) SELECT 'request', $1::uuid
        UNION ALL SELECT 'shipment', subject_id FROM report_facts WHERE subject_type = 'shipment'`,
      [requestId],
    );
    await drain();
    expect(await facts()).toEqual(before);
    // Readers index their arrays by id: ids must not be burnt by refreshes.
    expect(await lastIds()).toEqual(ids);
  });

  it('keeps the changes noted when a refresh fails mid-way, for the next one', async () => {
    await db.query(
      `UPDATE requests SET delivered_at = '2020-03-24T00:00:00Z', status = 'delivered' WHERE id = $1`,
      [requestId],
    );
    // A refresh that dies after taking the marks: its transaction rolls back.
    await expect(
      db.transaction(async (m) => {
        await m.query(`DELETE FROM report_dirty`);
        throw new Error('worker killed');
      }),
    ).rejects.toThrow('worker killed');
    expect(await rollups.pendingCount()).toBeGreaterThan(0);
    await drain();
    const [delivered] = await db.query(
      `SELECT duration_ms FROM report_facts WHERE subject_id = $1 AND metric = 'request_to_delivery'`,
      [requestId],
    );
    expect(delivered.duration_ms).toBe(
      Date.parse('2020-03-24T00:00:00Z') - Date.parse('2020-03-20T00:00:00Z'),
    );
  });
});
