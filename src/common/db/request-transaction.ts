import { AsyncLocalStorage } from 'node:async_hooks';
import { Injectable, type OnModuleInit } from '@nestjs/common';
import type { PoolClient, QueryResult } from 'pg';
import { DataSource, QueryFailedError, type QueryRunner } from 'typeorm';

interface Scope {
  runner: QueryRunner;
  open: boolean;
}

const scopes = new AsyncLocalStorage<Scope>();

/** How long a request waits for another holding the same Idempotency-Key (then 409). */
export const CLAIM_WAIT_MS = 5_000;

/** The scope's runner as a joined transaction sees it: begin, commit and release are the scope's. */
function joined(runner: QueryRunner): QueryRunner {
  return new Proxy(runner, {
    get(target, property) {
      switch (property) {
        case 'connect':
        case 'startTransaction':
        case 'commitTransaction':
        case 'rollbackTransaction':
        case 'release':
          // A failure inside reaches the scope's owner, which rolls the whole scope back.
          return async () => undefined;
        case 'isTransactionActive':
          return true;
      }
      const value: unknown = Reflect.get(target, property, target);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}

/**
 * One transaction for everything a piece of work does, however its code opens transactions or
 * queries: inside `join`, every query runner the DataSource hands out in that async context
 * is this transaction's (a repository's own `transaction()` joins it). Used where a
 * write and what records it must commit together, in one commit: an Idempotency-Key's
 * answer and the change it guards.
 */
@Injectable()
export class RequestTransactions implements OnModuleInit {
  private create: DataSource['createQueryRunner'];

  constructor(private readonly dataSource: DataSource) {
    this.create = dataSource.createQueryRunner.bind(dataSource);
  }

  onModuleInit(): void {
    this.dataSource.createQueryRunner = (mode) => {
      const scope = scopes.getStore();
      return scope?.open ? joined(scope.runner) : this.create(mode);
    };
  }

  /**
   * Runs `fn` so that everything it writes commits together or not at all: inside the
   * transaction already open for this request (an Idempotency-Key's), or in one of its own.
   */
  atomically<T>(fn: () => Promise<T>): Promise<T> {
    if (scopes.getStore()?.open) return fn();
    return this.transaction('SELECT 1', async ({ join }) => ({ value: await join(fn) }));
  }

  /**
   * Runs `body` in one transaction, committed when it returns and rolled back if it throws.
   * `opening` is sent with the BEGIN and `body` gets its rows; the `closing` statement `body`
   * returns is sent with the COMMIT: one round trip each (simple queries, so their values
   * are inlined literals). Queries on `runner` are the transaction's; inside `join(fn)`, so
   * is every query `fn` makes through the DataSource, its own transactions included.
   */
  async transaction<T>(
    opening: string,
    body: (tx: {
      runner: QueryRunner;
      opened: Record<string, unknown>[];
      join<R>(fn: () => Promise<R>): Promise<R>;
    }) => Promise<{ value: T; closing?: string }>,
  ): Promise<T> {
    const runner = this.create();
    const scope: Scope = { runner, open: false };
    const join = async <R>(fn: () => Promise<R>): Promise<R> => {
      scope.open = true;
      try {
        return await scopes.run(scope, fn);
      } finally {
        // Work `fn` left behind (a timer, a promise not awaited) must not use it later.
        scope.open = false;
      }
    };
    const client = (await runner.connect()) as PoolClient;
    // Errors of these raw statements look like the driver's others to the problem filter.
    const send = (sql: string) =>
      (client.query(sql) as unknown as Promise<QueryResult | QueryResult[]>).catch((error) => {
        throw new QueryFailedError(sql, undefined, error as Error);
      });
    // TypeORM's own bookkeeping: a transaction opened inside (manager.transaction) nests as a
    // savepoint instead of committing this one early.
    const state = runner as unknown as { isTransactionActive: boolean; transactionDepth: number };
    let begun = false;
    try {
      begun = true;
      // A request racing one that holds its key waits for it a bounded time (then 409).
      const results = (await send(
        `BEGIN; SET LOCAL lock_timeout = '${CLAIM_WAIT_MS}ms'; ${opening}; SET LOCAL lock_timeout = DEFAULT`,
      )) as QueryResult[];
      state.isTransactionActive = true;
      state.transactionDepth = 1;
      const { value, closing } = await body({ runner, opened: results[2].rows, join });
      await send(closing ? `${closing}; COMMIT` : 'COMMIT');
      begun = false;
      return value;
    } catch (error) {
      if (begun) await client.query('ROLLBACK').catch(() => undefined);
      throw error;
    } finally {
      state.isTransactionActive = false;
      state.transactionDepth = 0;
      await runner.release();
    }
  }
}
