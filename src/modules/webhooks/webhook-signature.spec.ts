import { createHmac } from 'node:crypto';
import { generateSecret, isValidSecret, messageId, signatureHeaders } from './webhook-signature';

describe('webhook signatures', () => {
  it('signs as the Standard Webhooks reference vector does', () => {
    const headers = signatureHeaders(
      'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw',
      'msg_p5jXN8AQM9LWM0D4loKWxJek',
      new Date(1614265330 * 1000),
      '{"test": 2432232314}',
    );
    expect(headers).toEqual({
      'webhook-id': 'msg_p5jXN8AQM9LWM0D4loKWxJek',
      'webhook-timestamp': '1614265330',
      'webhook-signature': 'v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=',
    });
  });

  it('signs "<id>.<timestamp>.<body>" with the decoded secret, as a receiver checks it', () => {
    const secret = generateSecret();
    const body = JSON.stringify({ type: 'webhook.test', timestamp: 'x', data: { é: '✓' } });
    const at = new Date('2020-03-23T10:00:00.750Z');
    const headers = signatureHeaders(secret, messageId('abc'), at, body);
    const key = Buffer.from(secret.slice('whsec_'.length), 'base64');
    const expected = createHmac('sha256', key)
      .update(`msg_abc.${Math.floor(at.getTime() / 1000)}.${body}`)
      .digest('base64');
    expect(headers['webhook-signature']).toBe(`v1,${expected}`);
    expect(headers['webhook-timestamp']).toBe('1584957600');
  });

  it('generates secrets it accepts, and refuses malformed or weak ones', () => {
    expect(isValidSecret(generateSecret())).toBe(true);
    expect(generateSecret()).not.toBe(generateSecret());
    const b64 = (bytes: number) => Buffer.alloc(bytes, 7).toString('base64');
    expect(isValidSecret(`whsec_${b64(24)}`)).toBe(true);
    expect(isValidSecret(`whsec_${b64(64)}`)).toBe(true);
    expect(isValidSecret(`whsec_${b64(23)}`)).toBe(false);
    expect(isValidSecret(`whsec_${b64(65)}`)).toBe(false);
    expect(isValidSecret(b64(32))).toBe(false);
    expect(isValidSecret(`whsec_${b64(32).replace(/.$/, '!')}`)).toBe(false);
    expect(isValidSecret(`whsec_${Buffer.alloc(32, 250).toString('base64url')}`)).toBe(false);
  });
});
