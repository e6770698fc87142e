import { randomBytes, randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import { CLAIM_WAIT_MS, RequestTransactions } from '../../src/common/db/request-transaction';
import { toProblem } from '../../src/common/errors/problem-details.filter';
import { IdempotencyRepository } from '../../src/common/http/idempotency.repository';
import { dataSourceOptions } from '../../src/config/data-source';

describe('one transaction for a whole request', () => {
  let dataSource: DataSource;
  let transactions: RequestTransactions;
  let keys: IdempotencyRepository;

  beforeAll(async () => {
    dataSource = new DataSource({
      ...dataSourceOptions(process.env.DATABASE_URL!),
      migrations: [],
    });
    await dataSource.initialize();
    transactions = new RequestTransactions(dataSource);
    transactions.onModuleInit();
    keys = new IdempotencyRepository(dataSource);
  });
  afterAll(() => dataSource.destroy());

  const stored = async (key: string) =>
    (await dataSource.query(`SELECT status_code, response FROM idempotency_keys WHERE key = $1`, [
      key,
    ])) as { status_code: number | null; response: { body: unknown } | null }[];

  /** A request that claims `key` and holds it until released, then answers 201 with 1. */
  const holdKey = async (key: string, hash: Buffer) => {
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    const first = transactions.transaction(keys.claimStatement('tester', key, hash), async () => {
      await held;
      return {
        value: 'first',
        closing: keys.completeStatement('tester', key, { statusCode: 201, body: 1, headers: {} }),
      };
    });
    await new Promise((resolve) => setTimeout(resolve, 100));
    return { first, release };
  };

  it("commits the claim, the work's own transactions and the answer together", async () => {
    const key = `k-${randomUUID()}`;
    const hash = randomBytes(32);
    const seen = await transactions.transaction(
      keys.claimStatement('tester', key, hash),
      async ({ opened, join }) => {
        expect(opened).toHaveLength(1);
        const value = await join(async () => {
          await dataSource.transaction((manager) =>
            manager.query(
              `INSERT INTO report_dirty (subject_type, subject_id) VALUES ('request', $1)`,
              ['00000000-0000-0000-0000-0000000000a1'],
            ),
          );
          // A plain query of the same work sees the uncommitted row: it joined the transaction.
          const [row] = await dataSource.query(
            `SELECT count(*)::int AS n FROM report_dirty WHERE subject_id = $1`,
            ['00000000-0000-0000-0000-0000000000a1'],
          );
          return row.n as number;
        });
        return {
          value,
          closing: keys.completeStatement('tester', key, {
            statusCode: 201,
            body: { note: "it's a \\ backslash" },
            headers: {},
          }),
        };
      },
    );
    expect(seen).toBe(1);
    expect(await stored(key)).toEqual([
      { status_code: 201, response: { body: { note: "it's a \\ backslash" }, headers: {} } },
    ]);
  });

  it('rolls back the claim and everything the work wrote when the work throws', async () => {
    const key = `k-${randomUUID()}`;
    const subject = randomUUID();
    await expect(
      transactions.transaction(keys.claimStatement('tester', key, randomBytes(32)), ({ join }) =>
        join(async () => {
          await dataSource.transaction((manager) =>
            manager.query(
              `INSERT INTO report_dirty (subject_type, subject_id) VALUES ('request', $1)`,
              [subject],
            ),
          );
          throw new Error('refused');
        }),
      ),
    ).rejects.toThrow('refused');
    expect(await stored(key)).toEqual([]);
    const [{ n }] = await dataSource.query(
      `SELECT count(*)::int AS n FROM report_dirty WHERE subject_id = $1`,
      [subject],
    );
    expect(n).toBe(0);
  });

  it('makes a second claim of the key wait for the first, then find its answer', async () => {
    const key = `k-${randomUUID()}`;
    const hash = randomBytes(32);
    const { first, release } = await holdKey(key, hash);
    const second = transactions.transaction(
      keys.claimStatement('tester', key, hash),
      async ({ runner, opened }) => ({
        value:
          opened.length > 0
            ? 'claimed'
            : await keys.claimTaken(runner.manager, 'tester', key, hash),
      }),
    );
    await new Promise((resolve) => setTimeout(resolve, 200));
    release();
    expect(await first).toBe('first');
    expect(await second).toEqual({
      kind: 'replay',
      response: { statusCode: 201, body: 1, headers: {} },
    });
  });

  it('leaves queries made after the work returned to their own connections', async () => {
    let late: Promise<unknown> | undefined;
    await transactions.transaction('SELECT 1', async ({ join }) => {
      await join(async () => {
        late = new Promise((resolve) => setTimeout(resolve, 50)).then(() =>
          dataSource.query(`SELECT 1 AS one`),
        );
      });
      return { value: undefined };
    });
    await expect(late).resolves.toEqual([{ one: 1 }]);
  });

  it('waits at most CLAIM_WAIT_MS for the first, then is refused with 409 (still processing)', async () => {
    const key = `k-${randomUUID()}`;
    const hash = randomBytes(32);
    const { first, release } = await holdKey(key, hash);
    const started = Date.now();
    const error = await transactions
      .transaction(keys.claimStatement('tester', key, hash), async () => ({ value: 'second' }))
      .catch((e: unknown) => e);
    const waited = Date.now() - started;
    release();
    await first;
    expect(waited).toBeGreaterThanOrEqual(CLAIM_WAIT_MS - 100);
    expect(waited).toBeLessThan(CLAIM_WAIT_MS + 3_000);
    const problem = toProblem(error);
    expect(problem.status).toBe(409);
    expect(problem.detail).toContain('still being processed');
  }, 20_000);
});
