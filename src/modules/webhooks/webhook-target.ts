import { lookup } from 'node:dns/promises';
import { BlockList, isIP } from 'node:net';

export const MAX_URL_LENGTH = 2000;

/**
 * Addresses a webhook may not reach unless WEBHOOK_ALLOW_PRIVATE_TARGETS is on: anything inside
 * the operator's own network or host (SSRF), cloud metadata (169.254.169.254) included.
 * BlockList matches IPv4-mapped IPv6 addresses (::ffff:10.0.0.1) against the IPv4 rules.
 */
const NOT_PUBLIC = new BlockList();
for (const [network, prefix] of [
  ['0.0.0.0', 8], // "this network"
  ['10.0.0.0', 8],
  ['100.64.0.0', 10], // carrier-grade NAT
  ['127.0.0.0', 8],
  ['169.254.0.0', 16], // link-local, cloud metadata
  ['172.16.0.0', 12],
  ['192.0.0.0', 24], // IETF protocol assignments
  ['192.168.0.0', 16],
  ['198.18.0.0', 15], // benchmarking
  ['224.0.0.0', 4], // multicast
  ['240.0.0.0', 4], // reserved, broadcast
] as const) {
  NOT_PUBLIC.addSubnet(network, prefix, 'ipv4');
}
for (const [network, prefix] of [
  ['::', 128], // unspecified
  ['::1', 128],
  ['fc00::', 7], // unique local
  ['fe80::', 10], // link-local
  ['ff00::', 8], // multicast
  // Prefixes that embed an IPv4 address (NAT64, 6to4), which might be a private one.
  ['64:ff9b::', 96],
  ['64:ff9b:1::', 48],
  ['2002::', 16],
] as const) {
  NOT_PUBLIC.addSubnet(network, prefix, 'ipv6');
}

/** Whether an address is loopback, private, link-local or otherwise not on the internet. */
export function isNonPublicAddress(address: string): boolean {
  const family = isIP(address);
  // Not an address at all: refuse rather than guess.
  if (family === 0) return true;
  return NOT_PUBLIC.check(address, family === 6 ? 'ipv6' : 'ipv4');
}

/** Why a URL cannot be a webhook target by its form alone, or undefined. */
export function urlFormProblem(url: string): string | undefined {
  if (url.length > MAX_URL_LENGTH) return `must be at most ${MAX_URL_LENGTH} characters`;
  if (!URL.canParse(url)) return 'must be an absolute http(s) URL';
  const parsed = new URL(url);
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
    return 'must be an absolute http(s) URL';
  }
  if (parsed.username || parsed.password) return 'must not carry credentials';
  return undefined;
}

/** Every address a host name resolves to. */
export type Resolver = (host: string) => Promise<string[]>;

const RESOLVE_TIMEOUT_MS = 5_000;

export const resolveAll: Resolver = async (host) => {
  let timer: NodeJS.Timeout | undefined;
  try {
    const found = await Promise.race([
      lookup(host, { all: true, verbatim: true }),
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error('timed out')), RESOLVE_TIMEOUT_MS);
      }),
    ]);
    return found.map((a) => a.address);
  } finally {
    clearTimeout(timer);
  }
};

/**
 * Why a URL may not receive webhooks, or undefined. Checked when a subscription is saved and
 * again before every attempt: a name that resolved to a public address yesterday may point
 * inside the network today. Every address the name has must be public.
 */
export async function targetProblem(
  url: string,
  allowPrivate: boolean,
  resolve: Resolver = resolveAll,
): Promise<string | undefined> {
  const formProblem = urlFormProblem(url);
  if (formProblem || allowPrivate) return formProblem;
  // URL keeps IPv6 literals in brackets; dns.lookup wants them bare.
  const host = new URL(url).hostname.replace(/^\[(.*)\]$/, '$1');
  let addresses: string[];
  try {
    addresses = await resolve(host);
  } catch (error) {
    return `host ${host} does not resolve (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`;
  }
  if (addresses.length === 0) return `host ${host} does not resolve`;
  const refused = addresses.find(isNonPublicAddress);
  if (refused) {
    return `must not point to a private, loopback or link-local address (${host} is ${refused})`;
  }
  return undefined;
}
