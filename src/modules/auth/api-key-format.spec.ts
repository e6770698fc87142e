import { bearerToken, generateApiKey, hashApiKey, looksLikeApiKey } from './api-key-format';

describe('api key format', () => {
  it('generates distinct high-entropy keys with a visible prefix', () => {
    const a = generateApiKey();
    const b = generateApiKey();
    expect(a.key).not.toEqual(b.key);
    expect(a.key.startsWith(`${a.prefix}_`)).toBe(true);
    expect(a.prefix).toMatch(/^ll_[a-z0-9]{8}$/);
    expect(looksLikeApiKey(a.key)).toBe(true);
    expect(a.key.length).toBe(3 + 8 + 1 + 43);
  });

  it('stores a hash that does not contain the key', () => {
    const { key, hash } = generateApiKey();
    expect(hash.equals(hashApiKey(key))).toBe(true);
    expect(hash.length).toBe(32);
  });

  it('reads the bearer token and nothing else', () => {
    expect(bearerToken('Bearer abc')).toBe('abc');
    expect(bearerToken('bearer   abc  ')).toBe('abc');
    expect(bearerToken('Basic abc')).toBeUndefined();
    expect(bearerToken(undefined)).toBeUndefined();
    expect(bearerToken(['Bearer a', 'Bearer b'])).toBeUndefined();
  });

  it('rejects strings that are not keys', () => {
    expect(looksLikeApiKey('ll_short_x')).toBe(false);
    expect(looksLikeApiKey('')).toBe(false);
  });
});
