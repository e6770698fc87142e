import { lookup, type LookupAddress } from 'node:dns';
import type { LookupFunction } from 'node:net';
import { Agent, fetch, type Response } from 'undici';
import { isNonPublicAddress } from './webhook-target';

/** What one POST to a receiver came to. */
export interface SendOutcome {
  /** The receiver's HTTP status; null when no response came (refused, timed out, ...). */
  statusCode: number | null;
  error: string | null;
  /** The start of the response body, for the attempt log. */
  responseExcerpt: string | null;
}

export const SEND_TIMEOUT_MS = 10_000;
export const EXCERPT_CHARS = 1000;

/** Reads at most `chars` characters of a body, then drops the rest. */
async function excerpt(response: Response, chars: number): Promise<string | null> {
  if (!response.body) return null;
  const reader = response.body.getReader();
  const decoder = new TextDecoder();
  let text = '';
  try {
    while (text.length < chars) {
      const { done, value } = await reader.read();
      if (done) break;
      text += decoder.decode(value, { stream: true });
    }
    return text.slice(0, chars);
  } catch {
    // A body cut off (or too slow) does not change what the status said.
    return text ? text.slice(0, chars) : null;
  } finally {
    await reader.cancel().catch(() => undefined);
  }
}

function describe(error: unknown): string {
  const e = error as Error & { cause?: { code?: string; message?: string } };
  if (e.name === 'TimeoutError') return `no response within ${SEND_TIMEOUT_MS / 1000} s`;
  return e.cause?.code ?? e.cause?.message ?? e.message;
}

/**
 * Connections for webhook deliveries. Unless private targets are allowed, the address a name
 * resolves to is checked as it is dialled: the check before an attempt and the connection
 * cannot be told different addresses by a name re-pointed in between (DNS rebinding).
 */
export function deliveryAgent(allowPrivate: boolean): Agent {
  const guarded: LookupFunction = (hostname, options, callback) => {
    lookup(hostname, { ...options, all: true, verbatim: true }, (error, found) => {
      const addresses = found as LookupAddress[];
      const refused =
        error || allowPrivate ? undefined : addresses.find((a) => isNonPublicAddress(a.address));
      if (error || refused) {
        const reason =
          error ?? new Error(`${hostname} resolves to ${refused!.address}, not a public address`);
        callback(reason, '', 0);
      } else if (options.all) {
        (callback as unknown as (e: null, a: LookupAddress[]) => void)(null, addresses);
      } else {
        callback(null, addresses[0].address, addresses[0].family);
      }
    });
  };
  return new Agent({ connect: { lookup: guarded }, connections: 128 });
}

/**
 * POSTs one message. 2xx is success; a redirect is a failure (following it could lead past the
 * address checks), and so is anything without a response within 10 s.
 */
export async function postMessage(
  url: string,
  headers: Record<string, string>,
  body: string,
  dispatcher: Agent,
): Promise<SendOutcome> {
  try {
    const response = await fetch(url, {
      dispatcher,
      method: 'POST',
      headers: {
        ...headers,
        'content-type': 'application/json',
        'user-agent': 'Lifeline-Webhooks',
      },
      body,
      redirect: 'manual',
      signal: AbortSignal.timeout(SEND_TIMEOUT_MS),
    });
    const redirected = response.status >= 300 && response.status < 400;
    return {
      statusCode: response.status,
      error: redirected ? 'redirects are not followed' : null,
      responseExcerpt: await excerpt(response, EXCERPT_CHARS),
    };
  } catch (error) {
    return { statusCode: null, error: describe(error), responseExcerpt: null };
  }
}
