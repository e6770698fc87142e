import { smtpAccepted, smtpFailure } from './smtp-outcome';

describe('SMTP outcomes', () => {
  it('treats a 5xx reply as permanent, naming the reply', () => {
    const outcome = smtpFailure({
      code: 'EENVELOPE',
      responseCode: 550,
      response: '550 5.1.1 No such mailbox',
    });
    expect(outcome).toEqual({
      accepted: false,
      code: 550,
      text: 'EENVELOPE: 550 5.1.1 No such mailbox',
      permanent: true,
    });
  });

  it('treats a 4xx reply and a refused connection as transient', () => {
    expect(smtpFailure({ responseCode: 451, response: '451 4.3.0 Try again' }).permanent).toBe(
      false,
    );
    const refused = smtpFailure(
      Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:2525'), { code: 'ESOCKET' }),
    );
    expect(refused).toMatchObject({ code: null, permanent: false });
    expect(refused.text).toBe('ESOCKET: connect ECONNREFUSED 127.0.0.1:2525');
  });

  it('reads the accepting reply code', () => {
    expect(smtpAccepted('250 2.0.0 OK queued')).toEqual({
      accepted: true,
      code: 250,
      text: '250 2.0.0 OK queued',
      permanent: false,
    });
  });
});
