import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core';
import { bearer, bootApp, type TestApp } from '../helpers/app';
import {
  makeApprovedRequest,
  makeCarrier,
  makeConfirmedOrder,
  makeItem,
  makeKey,
  makeShipment,
} from '../helpers/factories';

/** Debian's Chromium; .ci/run installs it. A missing browser fails these tests, never skips. */
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const hoursAgo = (h: number) => new Date(Date.now() - h * 3_600_000).toISOString();

describe('the console in a browser', () => {
  let t: TestApp;
  let base: string;
  let browser: Browser;
  let viewerKey: string;

  beforeAll(async () => {
    t = await bootApp();
    await t.app.listen(0, '127.0.0.1');
    base = await t.app.getUrl();
    base = base.replace('[::1]', '127.0.0.1');
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
    viewerKey = await makeKey(t, 'viewer');
  });
  afterAll(async () => {
    await browser?.close();
    await t?.close();
  });

  async function signedIn(
    key: string,
    options: { bypassCSP?: boolean } = {},
  ): Promise<{ ctx: BrowserContext; page: Page }> {
    // axe is injected as a script: only its test bypasses the console's CSP.
    const ctx = await browser.newContext({
      locale: 'en-GB',
      viewport: { width: 1280, height: 900 },
      bypassCSP: options.bypassCSP ?? false,
    });
    const page = await ctx.newPage();
    await page.goto(`${base}/console`);
    await page.getByLabel('API key').fill(key);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL(`${base}/console`);
    return { ctx, page };
  }

  /** A request received `hours` ago (its 96-hour clock running), approved. */
  async function requestReceived(hours: number, country = 'SO') {
    const item = await makeItem(t);
    return makeApprovedRequest(t, [{ itemCode: item.code, quantity: 10 }], {
      recipientCountry: country,
      destination: country === 'SO' ? 'SOMGQ' : 'TDNDJ',
      receivedAt: hoursAgo(hours),
    });
  }

  /** A planned shipment of a fresh request, by a carrier of its own. */
  async function plannedShipment() {
    const carrier = await makeCarrier(t);
    const item = await makeItem(t);
    const request = await makeApprovedRequest(t, [{ itemCode: item.code, quantity: 10 }], {
      receivedAt: hoursAgo(30),
    });
    const order = await makeConfirmedOrder(t, request.id, [
      { requestLineId: request.lines[0].id, quantity: 10 },
    ]);
    const shipment = await makeShipment(
      t,
      carrier.id,
      [{ orderLineId: order.lines[0].id, quantity: 10 }],
      {
        plannedDepartureAt: hoursAgo(-2),
      },
    );
    return { carrier, request, shipment };
  }

  it('signs in with a key, refuses a wrong one, and signs out', async () => {
    const ctx = await browser.newContext();
    const page = await ctx.newPage();
    const response = await page.goto(`${base}/console/requests`);
    expect(page.url()).toBe(`${base}/console/sign-in?next=%2Fconsole%2Frequests`);
    expect(response?.status()).toBe(200);
    await page.getByLabel('API key').fill('ll_wrong000_nottherightkeyatallnottherightkeyatall12');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await expect(page.getByRole('alert').textContent()).resolves.toContain(
      'unknown or has been revoked',
    );
    await page.getByLabel('API key').fill(t.adminKey);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL(`${base}/console/requests`);
    const cookie = (await ctx.cookies()).find((c) => c.name === 'll_session')!;
    expect(cookie).toMatchObject({ httpOnly: true, sameSite: 'Lax', path: '/console' });
    expect(cookie.expires).toBeGreaterThan(Date.now() / 1000);

    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.waitForURL(`${base}/console/sign-in?signedOut=1`);
    await page.goto(`${base}/console`);
    expect(page.url()).toContain('/console/sign-in');
    await ctx.close();
  });

  it('ends the sessions of a revoked key', async () => {
    const created = await t.http
      .post('/api/v1/api-keys')
      .set(bearer(t.adminKey))
      .send({ name: 'short-lived', role: 'viewer' })
      .expect(201);
    const { ctx, page } = await signedIn(created.body.key);
    await t.http.delete(`/api/v1/api-keys/${created.body.id}`).set(bearer(t.adminKey)).expect(200);
    await page.goto(`${base}/console/shipments`);
    expect(page.url()).toContain('/console/sign-in');
    await ctx.close();
  });

  it('shows a request at risk on the board and a new one live, without a reload', async () => {
    const first = await requestReceived(80);
    const { ctx, page } = await signedIn(t.adminKey);
    await page.getByRole('link', { name: first.reference }).first().waitFor();
    await page.locator('#live-state.on').waitFor();
    await page.evaluate(() => ((globalThis as unknown as { marker: number }).marker = 42));

    const second = await requestReceived(90, 'TD');
    await page.getByRole('link', { name: second.reference }).first().waitFor({ timeout: 15_000 });
    expect(await page.evaluate(() => (globalThis as unknown as { marker?: number }).marker)).toBe(
      42,
    );
    const row = page
      .locator('tr', { has: page.getByRole('link', { name: second.reference }) })
      .first();
    await expect(row.textContent()).resolves.toMatch(/Chad[\s\S]*Urgent/);
    await expect(row.textContent()).resolves.toMatch(/left|overdue/);
    await ctx.close();
  });

  it('acknowledges an alert from the board', async () => {
    const request = await requestReceived(85);
    const { ctx, page } = await signedIn(t.adminKey);
    const alerts = await t.http
      .get(`/api/v1/alerts?requestId=${request.id}&state=open`)
      .set(bearer(t.adminKey))
      .expect(200);
    expect(alerts.body.data.length).toBeGreaterThan(0);
    const alert = alerts.body.data[0];
    await page.locator('#live-state.on').waitFor();
    const item = page.locator(`#alert-${alert.id}`);
    await item.getByPlaceholder('Note (optional)').fill('Desk called the ministry');
    await item.getByRole('button', { name: 'Acknowledge' }).click();
    await page.waitForURL(`${base}/console#alerts`);
    const after = await t.http
      .get(`/api/v1/alerts/${alert.id}`)
      .set(bearer(t.adminKey))
      .expect(200);
    expect(after.body).toMatchObject({
      state: 'acknowledged',
      acknowledgementNote: 'Desk called the ministry',
    });
    await ctx.close();
  });

  it('records a legal event from the shipment page, and shows an illegal one as a sentence', async () => {
    const { shipment } = await plannedShipment();
    const { ctx, page } = await signedIn(t.adminKey);
    await page.goto(`${base}/console/shipments/${shipment.id}`);
    await page.getByLabel('Status', { exact: true }).selectOption('dispatched');
    await page.getByLabel('Location (UN/LOCODE or IATA code)').fill('CNCAN');
    await page.getByRole('button', { name: 'Record event' }).click();
    await page.waitForURL(/recorded=dispatched/);
    await expect(page.getByRole('status').first().textContent()).resolves.toContain(
      'Event recorded: Dispatched.',
    );
    const stored = await t.http.get(`/api/v1/shipments/${shipment.id}`).set(bearer(t.adminKey));
    expect(stored.body.status).toBe('dispatched');

    await page.getByLabel('Status', { exact: true }).selectOption('booked');
    await page.getByRole('button', { name: 'Record event' }).click();
    const refusal = await page.locator('#refusal').textContent();
    expect(refusal).toContain('Booked cannot be recorded now: the shipment is Dispatched.');
    expect(refusal).toMatch(/From Dispatched it can go to: .*In transit/);
    expect(refusal).not.toContain('{');
    await ctx.close();
  });

  it('shows a viewer no write control, and refuses a forged post', async () => {
    const { shipment } = await plannedShipment();
    await requestReceived(88);
    const { ctx, page } = await signedIn(viewerKey);
    await page.locator('#board-live').waitFor();
    expect(await page.getByRole('button', { name: 'Acknowledge' }).count()).toBe(0);
    await page.goto(`${base}/console/shipments/${shipment.id}`);
    expect(await page.locator('form.event-form').count()).toBe(0);
    const csrf = await page.locator('input[name=_csrf]').first().inputValue();
    const forged = await page.request.post(`${base}/console/shipments/${shipment.id}/events`, {
      form: { _csrf: csrf, status: 'dispatched', occurredAt: hoursAgo(1).slice(0, 16) },
    });
    expect(forged.status()).toBe(403);
    const stored = await t.http.get(`/api/v1/shipments/${shipment.id}`).set(bearer(t.adminKey));
    expect(stored.body.status).toBe('planned');
    // Without the session's CSRF token, even an operator's post is refused.
    await ctx.close();
    const operator = await signedIn(await makeKey(t, 'operator'));
    const noToken = await operator.page.request.post(
      `${base}/console/shipments/${shipment.id}/events`,
      {
        form: { status: 'dispatched', occurredAt: hoursAgo(1).slice(0, 16) },
      },
    );
    expect(noToken.status()).toBe(403);
    await operator.ctx.close();
  });

  it('keeps a carrier to its own shipments', async () => {
    const mine = await plannedShipment();
    const theirs = await plannedShipment();
    const { ctx, page } = await signedIn(await makeKey(t, 'carrier', mine.carrier.id));
    const own = await page.goto(`${base}/console/shipments/${mine.shipment.id}`);
    expect(own?.status()).toBe(200);
    const other = await page.goto(`${base}/console/shipments/${theirs.shipment.id}`);
    expect(other?.status()).toBe(404);
    await page.goto(`${base}/console/shipments`);
    const listed = await page.locator('tbody a').allTextContents();
    expect(listed).toContain(mine.shipment.reference);
    expect(listed).not.toContain(theirs.shipment.reference);
    await ctx.close();
  });

  it('draws the reports: a chart, the map and working CSV downloads', async () => {
    const { shipment } = await plannedShipment();
    await t.http
      .post(`/api/v1/shipments/${shipment.id}/events`)
      .set(bearer(t.adminKey))
      .send({ status: 'dispatched', occurredAt: hoursAgo(1), location: 'CNCAN' })
      .expect(201);
    const { ctx, page } = await signedIn(viewerKey);
    await page.goto(`${base}/console/reports`);
    await page.locator('svg.chart rect.bar-0 title').first().waitFor({ state: 'attached' });
    expect(await page.locator('svg.world-map path').count()).toBeGreaterThan(150);
    expect(
      await page
        .locator(
          'svg.world-map path.map-asked[data-country="AF"], svg.world-map path.map-received[data-country="AF"]',
        )
        .count(),
    ).toBe(1);
    const link = page.getByRole('link', { name: 'Download CSV' }).first();
    const csv = await page.request.get(new URL((await link.getAttribute('href'))!, base).href);
    expect(csv.status()).toBe(200);
    expect(csv.headers()['content-type']).toContain('text/csv');
    expect((await csv.text()).split('\n')[0]).toContain('p50Hours');
    await ctx.close();
  });

  it('shows coordinators the email rules and their messages, and viewers neither', async () => {
    const rule = await t.http
      .post('/api/v1/notification-rules')
      .set({ authorization: `Bearer ${t.adminKey}` })
      .send({
        name: 'Horn of Africa desk',
        channel: 'email',
        kinds: ['sla_breach'],
        to: ['horn-desk@example.org'],
        match: { countries: ['SO'] },
        escalateAfter: 'PT2H',
        escalateTo: ['chief@example.org'],
      });
    expect(rule.status).toBe(201);
    const admin = await signedIn(t.adminKey);
    await admin.page.getByRole('link', { name: 'Notifications' }).click();
    await admin.page.waitForURL(`${base}/console/notifications`);
    const row = admin.page.getByRole('row', { name: /Horn of Africa desk/ });
    await expect(row.textContent()).resolves.toContain('horn-desk@example.org');
    await expect(row.textContent()).resolves.toContain('Somalia');
    await expect(row.textContent()).resolves.toContain('after 2h to chief@example.org');
    await expect(admin.page.getByRole('status').textContent()).resolves.toContain(
      'Email is off: SMTP_URL is not set',
    );
    await admin.ctx.close();
    const viewer = await signedIn(viewerKey);
    expect(await viewer.page.getByRole('link', { name: 'Notifications' }).count()).toBe(0);
    const refused = await viewer.page.goto(`${base}/console/notifications`);
    expect(refused?.status()).toBe(403);
    await viewer.ctx.close();
  });

  it('switches to Arabic, right to left, and remembers it', async () => {
    const { ctx, page } = await signedIn(viewerKey);
    await page.getByLabel('Language').selectOption('ar');
    await page.locator('html[lang="ar"]').waitFor({ state: 'attached' });
    expect(await page.locator('html').getAttribute('dir')).toBe('rtl');
    expect(await page.locator('h1').textContent()).toBe('الالتزامات المعرضة للخطر');
    await page.goto(`${base}/console/shipments`);
    expect(await page.locator('html').getAttribute('lang')).toBe('ar');
    expect(await page.locator('html').getAttribute('dir')).toBe('rtl');
    await ctx.close();
  });

  it('loads the board, cold, in under 300 KB compressed', async () => {
    await requestReceived(90);
    const signed = await signedIn(t.adminKey);
    // Only the session cookie comes along: the browser's cache is empty.
    const ctx = await browser.newContext({ storageState: await signed.ctx.storageState() });
    await signed.ctx.close();
    const page = await ctx.newPage();
    const loads: Promise<number>[] = [];
    page.on('response', (res) => {
      if ((res.headers()['content-type'] ?? '').startsWith('text/event-stream')) return;
      loads.push(
        res
          .request()
          .sizes()
          .then((s) => s.responseBodySize + s.responseHeadersSize),
      );
    });
    await page.goto(`${base}/console`, { waitUntil: 'load' });
    await page.getByText('REQ-', { exact: false }).first().waitFor();
    const bytes = (await Promise.all(loads)).reduce((a, b) => a + b, 0);
    process.stdout.write(`board first load: ${loads.length} responses, ${bytes} bytes\n`);
    expect(loads.length).toBeGreaterThanOrEqual(3); // the page, its style and its script
    expect(bytes).toBeLessThan(300 * 1024);
    await ctx.close();
  });

  it('loads nothing from outside Lifeline and passes axe on every page, in English and Arabic', async () => {
    const { shipment, request } = await plannedShipment();
    for (const lang of ['en', 'ar']) {
      const { ctx, page } = await signedIn(t.adminKey, { bypassCSP: true });
      const outside: string[] = [];
      page.on('request', (r) => {
        if (!r.url().startsWith(base)) outside.push(r.url());
      });
      if (lang === 'ar') {
        await page.getByLabel('Language').selectOption('ar');
        await page.locator('html[lang="ar"]').waitFor({ state: 'attached' });
      }
      const pages = [
        '/console',
        '/console/requests',
        `/console/requests/${request.id}`,
        '/console/shipments',
        `/console/shipments/${shipment.id}`,
        '/console/reports',
        '/console/notifications',
      ];
      for (const path of pages) {
        await page.goto(`${base}${path}`);
        await page.addScriptTag({ path: require.resolve('axe-core/axe.min.js') });
        const violations = await page.evaluate(async () => {
          const result = await (
            globalThis as unknown as {
              axe: {
                run: () => Promise<{
                  violations: { id: string; impact: string; nodes: unknown[] }[];
                }>;
              };
            }
          ).axe.run();
          return result.violations
            .filter((v) => v.impact === 'serious' || v.impact === 'critical')
            .map((v) => `${v.id} (${v.nodes.length})`);
        });
        expect(await page.locator('html').getAttribute('lang')).toBe(lang);
        expect({ lang, path, violations }).toEqual({ lang, path, violations: [] });
      }
      await page.context().clearCookies();
      await page.goto(`${base}/console/sign-in`);
      expect(outside).toEqual([]);
      await ctx.close();
    }
  });
});
