import { createHash } from 'node:crypto';
import type { DataSource } from 'typeorm';
import { onEachConnection } from './pool-clients';

const MAX_NAMES = 2_000;
const names = new Map<string, string>();

/** A statement's name: a hash of its text, so the same text is the same statement everywhere. */
function nameOf(text: string): string {
  let name = names.get(text);
  if (name === undefined) {
    name = `ll_${createHash('sha1').update(text).digest('base64url')}`;
    if (names.size < MAX_NAMES) names.set(text, name);
  }
  return name;
}

type QueryFn = (config: unknown, values?: unknown, callback?: unknown) => unknown;

/** A prepared statement whose result columns changed under it (a migration added a column). */
function isStalePlan(error: unknown): boolean {
  const { code, message } = error as { code?: string; message?: string };
  return code === '0A000' && /cached plan must not change result type/.test(message ?? '');
}

/**
 * Names every parameterised statement sent through the pool after a hash of its text, so each
 * connection sends, parses and plans it once and then only binds and executes it: the long
 * statements of the status-event path cost a few bytes and no planning from their second use.
 * Statements without parameters (BEGIN, COMMIT, inlined literals) are left as they are. If a
 * migration changes a table under a running process, the statements prepared before fail
 * once ("cached plan must not change result type"); the connection then prepares afresh under
 * new names, so the next attempt (a retry) works.
 */
export function prepareStatements(dataSource: DataSource): void {
  onEachConnection(dataSource, (client) => {
    const query = client.query.bind(client) as QueryFn;
    let generation = 0;
    (client as unknown as { query: QueryFn }).query = (config, values, callback) => {
      if (typeof config !== 'string' || !Array.isArray(values) || callback !== undefined)
        return query(config, values, callback);
      const name = generation === 0 ? nameOf(config) : `${nameOf(config)}_${generation}`;
      return (query({ name, text: config, values }) as Promise<unknown>).catch((error) => {
        if (isStalePlan(error)) generation++;
        throw error;
      });
    };
  });
}
