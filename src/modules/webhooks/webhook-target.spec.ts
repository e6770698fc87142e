import { isNonPublicAddress, targetProblem, urlFormProblem } from './webhook-target';

describe('isNonPublicAddress', () => {
  it.each([
    '127.0.0.1',
    '127.255.0.9',
    '10.1.2.3',
    '172.16.0.1',
    '172.31.255.255',
    '192.168.1.1',
    '169.254.169.254',
    '100.64.0.1',
    '0.0.0.0',
    '224.0.0.1',
    '255.255.255.255',
    '::1',
    '::',
    'fc00::1',
    'fd12:3456::1',
    'fe80::1',
    'ff02::1',
    '::ffff:127.0.0.1',
    '::ffff:a9fe:a9fe',
    '64:ff9b::a00:1',
    '2002:a00:1::1',
    'not-an-address',
  ])('refuses %s', (address) => {
    expect(isNonPublicAddress(address)).toBe(true);
  });

  it.each(['8.8.8.8', '172.32.0.1', '100.128.0.1', '2606:4700::1111', '::ffff:8.8.8.8'])(
    'allows %s',
    (address) => {
      expect(isNonPublicAddress(address)).toBe(false);
    },
  );
});

describe('urlFormProblem', () => {
  it('accepts http and https URLs', () => {
    expect(urlFormProblem('https://alerts.example.org/lifeline?x=1')).toBeUndefined();
    expect(urlFormProblem('http://203.0.113.7:8080/hook')).toBeUndefined();
  });

  it('refuses other schemes, relative URLs, credentials and overlong URLs', () => {
    expect(urlFormProblem('ftp://example.org/')).toMatch(/http/);
    expect(urlFormProblem('file:///etc/passwd')).toMatch(/http/);
    expect(urlFormProblem('/relative')).toMatch(/http/);
    expect(urlFormProblem('https://user:pw@example.org/')).toMatch(/credentials/);
    expect(urlFormProblem(`https://example.org/${'a'.repeat(2000)}`)).toMatch(/2000/);
  });
});

describe('targetProblem', () => {
  const resolvesTo =
    (...addresses: string[]) =>
    async () =>
      addresses;

  it('accepts a host whose every address is public', async () => {
    expect(
      await targetProblem('https://hooks.example.org/', false, resolvesTo('93.184.216.34')),
    ).toBeUndefined();
  });

  it('refuses a host with any private address among its addresses', async () => {
    const problem = await targetProblem(
      'https://hooks.example.org/',
      false,
      resolvesTo('93.184.216.34', '10.0.0.5'),
    );
    expect(problem).toMatch(/private.*10\.0\.0\.5/);
  });

  it('checks IP literals, obscure IPv4 spellings and bracketed IPv6 too', async () => {
    const seen: string[] = [];
    const record = async (host: string) => {
      seen.push(host);
      return [host];
    };
    expect(await targetProblem('http://0x7f.1/', false, record)).toMatch(/127\.0\.0\.1/);
    expect(await targetProblem('http://[::1]:8080/', false, record)).toMatch(/::1/);
    expect(seen).toEqual(['127.0.0.1', '::1']);
  });

  it('refuses a host that does not resolve', async () => {
    const fails = async () => {
      throw Object.assign(new Error('getaddrinfo ENOTFOUND'), { code: 'ENOTFOUND' });
    };
    expect(await targetProblem('https://nowhere.invalid/', false, fails)).toMatch(/ENOTFOUND/);
  });

  it('allows private targets when configured to, but still checks the form', async () => {
    const never = async () => {
      throw new Error('not called');
    };
    expect(await targetProblem('http://127.0.0.1:9/', true, never)).toBeUndefined();
    expect(await targetProblem('ftp://127.0.0.1/', true, never)).toMatch(/http/);
  });
});
