/** How an SMTP attempt ended, as Lifeline records it. */
export interface SmtpOutcome {
  accepted: boolean;
  /** The server's reply code, when it answered (250, 451, 550...). */
  code: number | null;
  /** The server's reply or the connection's error, in its words. */
  text: string;
  /** No retry can help: the server refused for good (5xx). */
  permanent: boolean;
}

/**
 * What a nodemailer error means for the next attempt: a 5xx reply is permanent (the mailbox
 * does not exist, the message is refused); a 4xx reply (greylisting, a full queue) and no reply
 * at all (connection refused, reset, timed out) are transient and retried with backoff.
 */
export function smtpFailure(error: unknown): SmtpOutcome {
  const e = (error ?? {}) as {
    responseCode?: unknown;
    response?: unknown;
    message?: unknown;
    code?: unknown;
  };
  const code = typeof e.responseCode === 'number' ? e.responseCode : null;
  const words =
    (typeof e.response === 'string' && e.response) ||
    (typeof e.message === 'string' && e.message) ||
    String(error);
  const text = `${typeof e.code === 'string' ? `${e.code}: ` : ''}${words}`.slice(0, 1000);
  return { accepted: false, code, text, permanent: code !== null && code >= 500 };
}

/** The server's reply to an accepted message ("250 2.0.0 OK: queued as 1234"). */
export function smtpAccepted(response: unknown): SmtpOutcome {
  const text = typeof response === 'string' ? response.slice(0, 1000) : 'accepted';
  const code = Number.parseInt(text, 10);
  return { accepted: true, code: Number.isFinite(code) ? code : 250, text, permanent: false };
}
