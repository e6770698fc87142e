import { EnvValidationError, validateEnv } from './env';

describe('validateEnv', () => {
  it('needs nothing set: every variable has a local default', () => {
    const env = validateEnv({});
    expect(env.DATABASE_URL).toBe('postgres://postgres@127.0.0.1:5432/lifeline');
    expect(env.REDIS_URL).toBe('redis://127.0.0.1:6379');
    expect(env.PORT).toBe(3000);
    expect(env.WORKERS).toBe('on');
    expect(env.DB_MIGRATE_ON_START).toBe(true);
    expect(env.WEBHOOK_ALLOW_PRIVATE_TARGETS).toBe(false);
    expect(env.ADMIN_API_KEY).toBeUndefined();
  });

  it('converts numbers and booleans from their text', () => {
    const env = validateEnv({ PORT: '8080', DB_MIGRATE_ON_START: 'false', WORKERS: 'off' });
    expect(env.PORT).toBe(8080);
    expect(env.DB_MIGRATE_ON_START).toBe(false);
    expect(env.WORKERS).toBe('off');
  });

  it.each([
    ['PORT', 'abc'],
    ['PORT', '70000'],
    ['DATABASE_URL', 'mysql://localhost/x'],
    ['REDIS_URL', 'localhost:6379'],
    ['WORKERS', 'maybe'],
    ['DB_MIGRATE_ON_START', 'perhaps'],
    ['LOG_LEVEL', 'loud'],
    ['QUEUE_PREFIX', 'has:colon'],
    ['ADMIN_API_KEY', 'short'],
    ['CLOCK_ANCHOR', '2020-01-20T00:00:00Z'],
    ['CLOCK_ANCHOR', '2020-02-30T00:00:00Z@1764170000000'],
    ['CLOCK_RATE', '0'],
    ['CLOCK_RATE', '-3'],
    ['CLOCK_RATE', '20000000'],
    ['CLOCK_RATE', 'fast'],
    ['CLOCK_RATE', '80000'], // without CLOCK_ANCHOR
  ])('refuses %s=%s and names the variable', (name, value) => {
    let thrown: unknown;
    try {
      validateEnv({ [name]: value });
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(EnvValidationError);
    const error = thrown as EnvValidationError;
    expect(error.problems).toHaveLength(1);
    expect(error.problems[0].startsWith(`${name}=`)).toBe(true);
    expect(error.message).toContain(name);
  });

  it('runs on the system clock unless CLOCK_ANCHOR is set', () => {
    expect(validateEnv({})).toMatchObject({ CLOCK_ANCHOR: undefined, CLOCK_RATE: 1 });
    const env = validateEnv({
      CLOCK_ANCHOR: '2020-01-20T00:00:00Z@1764170000000',
      CLOCK_RATE: '80000',
    });
    expect(env).toMatchObject({
      CLOCK_ANCHOR: '2020-01-20T00:00:00Z@1764170000000',
      CLOCK_RATE: 80000,
    });
  });

  it('never prints the admin key in its message', () => {
    expect(() => validateEnv({ ADMIN_API_KEY: 'secret' })).toThrow(/ADMIN_API_KEY=\(hidden\)/);
  });

  it('ignores variables it does not know and treats empty ones as unset', () => {
    const env = validateEnv({ HOME: '/root', PORT: '' });
    expect(env.PORT).toBe(3000);
    expect(env).not.toHaveProperty('HOME');
  });
});
