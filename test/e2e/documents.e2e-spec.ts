import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bearer, bootApp, type TestApp } from '../helpers/app';
import {
  makeApprovedRequest,
  makeCarrier,
  makeConfirmedOrder,
  makeItem,
  makeShipment,
} from '../helpers/factories';

const CONSIGNEE = 'وزارة الصحة العامة';

function binary(res: NodeJS.ReadableStream, done: (e: Error | null, body: unknown) => void) {
  const chunks: Buffer[] = [];
  res.on('data', (c: Buffer) => chunks.push(c));
  res.on('end', () => done(null, Buffer.concat(chunks)));
}

describe('shipment documents as PDF', () => {
  let t: TestApp;
  let dir: string;
  let shipment: { id: string; reference: string };

  beforeAll(async () => {
    t = await bootApp({}, { workers: false });
    dir = mkdtempSync(join(tmpdir(), 'lifeline-pdf-'));
    const item = await makeItem(t, { name: 'Respirator N95' });
    const request = await makeApprovedRequest(t, [{ itemCode: item.code, quantity: 12_000 }], {
      recipientCountry: 'SO',
      destination: 'SOMGQ',
      organisation: CONSIGNEE,
      kind: 'donation',
    });
    const order = await makeConfirmedOrder(t, request.id, [
      { requestLineId: request.lines[0].id, quantity: 12_000 },
    ]);
    const carrier = await makeCarrier(t, { name: 'Sahel Air Cargo' });
    shipment = (await makeShipment(
      t,
      carrier.id,
      [{ orderLineId: order.lines[0].id, quantity: 12_000 }],
      {
        destination: 'SOMGQ',
        packages: 120,
        packageMarks: ['SO-001', 'SO-002'],
        grossWeightKg: 2350.5,
        volumeM3: 14.2,
        declaredValue: { amount: 48000, currency: 'USD' },
      },
    )) as typeof shipment;
  });
  afterAll(async () => {
    if (!process.env.KEEP_PDF) rmSync(dir, { recursive: true, force: true });
    await t.close();
  });

  async function text(document: string, lang: string): Promise<string> {
    const res = await t.http
      .get(`/api/v1/shipments/${shipment.id}/documents/${document}?lang=${lang}`)
      .set(bearer(t.adminKey))
      .buffer(true)
      .parse(binary as never);
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toBe('application/pdf');
    const file = join(dir, `${document}-${lang}`);
    writeFileSync(file, res.body as Buffer);
    // pdftotext marks direction changes with Unicode controls: read the text without them.
    return execFileSync('pdftotext', ['-layout', file, '-'], { encoding: 'utf8' }).replace(
      /[\u200e\u200f\u202a-\u202e\u2066-\u2069]/g,
      '',
    );
  }

  it('prints a waybill in Arabic with the references, lot, quantities and the Arabic consignee', async () => {
    const waybill = await text('waybill.pdf', 'ar');
    expect(waybill).toContain(shipment.reference);
    expect(waybill).toContain('L2020-03');
    expect(waybill).toContain('بوليصة الشحن');
    expect(waybill).toContain(CONSIGNEE);
    expect(waybill).toContain('Sahel Air Cargo');
    expect(waybill).toContain('CNCAN – SOMGQ');
    expect(waybill).toMatch(/صفحة\s*1\s*من\s*1/);
  });

  it('prints a packing list in French and a donation certificate in English', async () => {
    const packing = await text('packing-list.pdf', 'fr');
    expect(packing).toContain('Liste de colisage');
    expect(packing).toContain(shipment.reference);
    expect(packing).toMatch(/12\s000/);
    expect(packing).toContain('Page 1 sur 1');
    const certificate = await text('donation-certificate.pdf', 'en');
    expect(certificate).toContain('Donation certificate');
    expect(certificate).toContain('Respirator N95');
    expect(certificate).toContain('12,000');
    expect(certificate).toContain('2,350.5 kg');
    expect(certificate).toContain('14.2 m³');
    expect(certificate).toContain('$48,000.00');
    expect(packing).toContain('SO-001, SO-002');
  });

  it('keeps a shipment’s physical facts, and refuses a currency that is not ISO 4217', async () => {
    const res = await t.http.get(`/api/v1/shipments/${shipment.id}`).set(bearer(t.adminKey));
    expect(res.body).toMatchObject({
      packages: 120,
      packageMarks: ['SO-001', 'SO-002'],
      grossWeightKg: 2350.5,
      volumeM3: 14.2,
      declaredValue: { amount: 48000, currency: 'USD' },
    });
    const bad = await t.http
      .post('/api/v1/shipments')
      .set(bearer(t.adminKey))
      .send({
        carrierId: res.body.carrierId,
        mode: 'air_charter',
        origin: 'CNCAN',
        destination: 'SOMGQ',
        trackingReference: 'BAD-CURRENCY',
        items: [
          {
            orderLineId: res.body.items[0].orderLineId,
            quantity: 1,
            lot: 'L1',
            expiresOn: '2030-01-01',
          },
        ],
        declaredValue: { amount: 10, currency: 'XYZ' },
      });
    expect(bad.status).toBe(400);
    expect(bad.body.errors.map((e: { field: string }) => e.field)).toEqual([
      'declaredValue.currency',
    ]);
  });

  it('refuses an unknown document with problem+json', async () => {
    const res = await t.http
      .get(`/api/v1/shipments/${shipment.id}/documents/invoice.pdf`)
      .set(bearer(t.adminKey));
    expect(res.status).toBe(404);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
  });
});
