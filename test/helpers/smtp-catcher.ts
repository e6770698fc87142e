import type { AddressInfo } from 'node:net';
import { type ParsedMail, simpleParser } from 'mailparser';
import { SMTPServer } from 'smtp-server';

export interface CaughtMail {
  to: string[];
  subject: string;
  messageId: string;
  inReplyTo: string | undefined;
  text: string;
  html: string;
  headers: ParsedMail['headers'];
}

/**
 * A real SMTP server on 127.0.0.1 for tests: it parses every message it accepts, and can
 * answer a recipient with scripted failures (451, 550...) or hold a message before accepting it.
 */
export class SmtpCatcher {
  readonly mails: CaughtMail[] = [];
  private readonly failures = new Map<string, number[]>();
  /** Runs after a message's data arrived and before the server answers 250. */
  beforeAccept: ((mail: CaughtMail) => Promise<void>) | undefined;

  private readonly server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    logger: false,
    onRcptTo: (address, _session, callback) => {
      const code = this.failures.get(address.address.toLowerCase())?.shift();
      if (code === undefined) return callback();
      const error = Object.assign(new Error(`${code} scripted refusal`), { responseCode: code });
      callback(error);
    },
    onData: (stream, _session, callback) => {
      simpleParser(stream)
        .then(async (parsed) => {
          const mail: CaughtMail = {
            to: [parsed.to ?? []]
              .flat()
              .flatMap((a) => a.value.map((v) => (v.address ?? '').toLowerCase())),
            subject: parsed.subject ?? '',
            messageId: parsed.messageId ?? '',
            inReplyTo: parsed.inReplyTo,
            text: parsed.text ?? '',
            html: typeof parsed.html === 'string' ? parsed.html : '',
            headers: parsed.headers,
          };
          await this.beforeAccept?.(mail);
          this.mails.push(mail);
          callback();
        })
        .catch((error: Error) => callback(error));
    },
  });

  async start(): Promise<string> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    return this.url;
  }

  get url(): string {
    return `smtp://127.0.0.1:${(this.server.server.address() as AddressInfo).port}`;
  }

  stop(): Promise<void> {
    return new Promise((resolve) => this.server.close(() => resolve()));
  }

  /** The next messages to `address` are refused at RCPT with these codes, in turn. */
  refuse(address: string, ...codes: number[]): void {
    this.failures.set(address.toLowerCase(), codes);
  }

  to(address: string): CaughtMail[] {
    return this.mails.filter((m) => m.to.includes(address.toLowerCase()));
  }
}
