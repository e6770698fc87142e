import { STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';
import { ERROR_STATUS, ERROR_TITLE, type ErrorCode } from '../errors/error-codes';
import { PROBLEM_CONTENT_TYPE, problemType } from '../errors/problem-details.filter';

/** A URL longer than this is refused 414 before routing (the headers' own limit is 16 KiB). */
export const MAX_URL_LENGTH = 4096;

/** The problem+json body of a refusal made before a request reaches Nest. */
export function refusalBody(code: ErrorCode, detail: string): string {
  return JSON.stringify({
    type: problemType(code),
    title: ERROR_TITLE[code],
    status: ERROR_STATUS[code],
    detail,
    code,
  });
}

/**
 * What the HTTP server answers when it can't even read a request (headers too large, a
 * malformed request line, a client too slow): problem+json like every other refusal, then
 * the connection is closed, as Node does.
 */
export function clientErrorHandler(error: Error & { code?: string }, socket: Socket): void {
  if (error.code === 'ECONNRESET' || socket.destroyed) return;
  const [code, detail]: [ErrorCode, string] =
    error.code === 'HPE_HEADER_OVERFLOW'
      ? ['headers_too_large', 'The request line and headers exceed 16 KiB.']
      : error.code === 'ERR_HTTP_REQUEST_TIMEOUT'
        ? ['request_timeout', 'The request did not arrive in time.']
        : ['malformed_request', 'The request could not be read as HTTP.'];
  const status = ERROR_STATUS[code];
  const body = refusalBody(code, detail);
  if (socket.writable) {
    socket.write(
      `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nContent-Type: ${PROBLEM_CONTENT_TYPE}\r\n` +
        `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
    );
  }
  socket.destroy(error);
}

const METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE'] as const;

/**
 * The routes the app serves, by method, so a path served under other methods is answered 405
 * with `Allow` rather than 404.
 */
export class RouteMethods {
  private readonly routes: { method: string; pattern: RegExp }[] = [];

  add(method: string | string[], url: string): void {
    const source = url
      .split('/')
      .map((part) =>
        part.startsWith(':')
          ? '[^/]+'
          : part === '*'
            ? '.*'
            : part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'),
      )
      .join('/');
    for (const m of [method].flat())
      this.routes.push({ method: m, pattern: new RegExp(`^${source}/?$`) });
  }

  /** The methods `path` is served under (HEAD wherever GET is); empty for an unknown path. */
  allowed(path: string): string[] {
    const bare = path.split('?')[0];
    const found = new Set(this.routes.filter((r) => r.pattern.test(bare)).map((r) => r.method));
    if (found.has('GET')) found.add('HEAD');
    return METHODS.filter((m) => found.has(m));
  }
}
