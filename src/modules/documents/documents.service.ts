import { Injectable } from '@nestjs/common';
import { DomainError } from '../../common/errors/domain-error';
import type { Principal } from '../auth/principal';
import type { Locale } from '../console/i18n/i18n';
import { translator } from '../console/i18n/i18n';
import { ShipmentsService } from '../shipments/shipments.service';
import { documentWords } from './document-words';
import { DocumentsRepository } from './documents.repository';
import { PdfWriter } from './pdf-writer';

export const DOCUMENT_KINDS = ['waybill', 'packing-list', 'donation-certificate'] as const;
export type DocumentKind = (typeof DOCUMENT_KINDS)[number];

/** A shipment's papers as PDF, in English, French or Arabic (right to left). */
@Injectable()
export class DocumentsService {
  constructor(
    private readonly shipments: ShipmentsService,
    private readonly documents: DocumentsRepository,
  ) {}

  async render(id: string, kind: DocumentKind, locale: Locale, by: Principal): Promise<Buffer> {
    const shipment = await this.shipments.get(id, by, false);
    const consignees = await this.documents.consignees(id);
    if (kind === 'donation-certificate' && !consignees.some((c) => c.kind === 'donation')) {
      throw new DomainError(
        'not_found',
        `${shipment.reference} carries no donation: it has no donation certificate.`,
      );
    }
    const { items, carriers } = await this.documents.names(
      [...new Set(shipment.items.map((i) => i.itemCode))],
      [shipment.carrierId, ...shipment.legs.flatMap((l) => (l.carrierId ? [l.carrierId] : []))],
    );
    const w = documentWords(locale);
    // Codes, amounts and units read left to right, whole, even in an Arabic document.
    const ltr = (text: string) => (tr.dir === 'rtl' && text ? `\u2066${text}\u2069` : text);
    const unit = (value: number, name: string) =>
      new Intl.NumberFormat(locale, { style: 'unit', unit: name, maximumFractionDigits: 3 }).format(
        value,
      );
    const tr = translator(locale);
    const pdf = new PdfWriter(tr.dir === 'rtl');
    const title = w(
      kind === 'waybill'
        ? 'waybill'
        : kind === 'packing-list'
          ? 'packingList'
          : 'donationCertificate',
    );
    pdf.doc.info.Title = `${title} ${shipment.reference}`;

    await pdf.qr(shipment.reference);
    pdf.line(title, { size: 20, bold: true });
    pdf.down(28);
    pdf.line(`${w('shipment')}: ${shipment.reference}`, { size: 12, bold: true });
    pdf.down(18);
    pdf.line(`${w('issued')}: ${tr.date(new Date())}`, { size: 9, color: '#5a6472' });
    pdf.down(30);

    const half = pdf.width / 2;
    const consigneeNames = [...new Set(consignees.map((c) => c.organisation))];
    const countries = [...new Set(consignees.map((c) => tr.country(c.recipient_country)))];
    pdf.line(w('shipper'), { bold: true, size: 9 });
    pdf.line(w('consignee'), { bold: true, size: 9, x: half, width: half });
    pdf.down(14);
    pdf.line(w('shipperName'));
    pdf.line(consigneeNames.join(' / '), { x: half, width: half });
    pdf.down(14);
    pdf.line(shipment.origin);
    pdf.line(`${shipment.destination} · ${countries.join(', ')}`, { x: half, width: half });
    pdf.down(24);

    const facts: [string, string][] = [
      [w('carrier'), carriers.get(shipment.carrierId) ?? shipment.carrierId],
      [w('mode'), tr.label(shipment.mode)],
      [w('tracking'), shipment.trackingReference],
      [w('route'), `${shipment.origin} – ${shipment.destination}`],
      [w('requests'), [...new Set(consignees.map((c) => c.request_reference))].join(', ')],
      [w('orders'), [...new Set(consignees.map((c) => c.order_reference))].join(', ')],
      [w('packages'), shipment.packages === null ? '' : tr.number(shipment.packages)],
      [
        w('grossWeight'),
        shipment.grossWeightKg === null ? '' : unit(shipment.grossWeightKg, 'kilogram'),
      ],
      [w('volume'), shipment.volumeM3 === null ? '' : ltr(`${tr.number(shipment.volumeM3, 3)} m³`)],
      [
        w('declaredValue'),
        shipment.declaredValue
          ? ltr(
              new Intl.NumberFormat(locale, {
                style: 'currency',
                currency: shipment.declaredValue.currency,
              }).format(shipment.declaredValue.amount),
            )
          : '',
      ],
    ];
    if (kind === 'packing-list' && shipment.packageMarks.length > 0) {
      const marks = shipment.packageMarks;
      facts.push([
        w('marks'),
        marks.slice(0, 12).join(', ') +
          (marks.length > 12 ? ` … (+${tr.number(marks.length - 12)})` : ''),
      ]);
    }
    for (const [label, value] of facts) {
      pdf.line(`${label}:`, { bold: true, size: 9, width: 130 });
      pdf.line(value || w('none'), { size: 9, x: 130, width: pdf.width - 130 });
      pdf.down(14);
    }
    pdf.down(10);

    if (kind === 'waybill' && shipment.legs.length > 0) {
      pdf.line(w('legs'), { bold: true, size: 12 });
      pdf.down(18);
      pdf.table(
        [
          { header: '#', width: 24 },
          { header: w('route'), width: 130 },
          { header: w('carrier'), width: 140 },
          { header: w('planned'), width: 102 },
          { header: w('actual'), width: 102 },
        ],
        shipment.legs.map((l) => [
          String(l.seq),
          `${l.from} – ${l.to}`,
          (l.carrierId && carriers.get(l.carrierId)) || tr.label(l.mode),
          tr.dateTime(l.departure.planned),
          tr.dateTime(l.departure.actual),
        ]),
      );
      pdf.down(12);
    }

    if (kind === 'donation-certificate') {
      pdf.paragraph(w('certify'), 11);
      pdf.down(8);
    }
    pdf.line(w('items'), { bold: true, size: 12 });
    pdf.down(18);
    pdf.table(
      [
        { header: w('item'), width: 230 },
        { header: w('quantity'), width: 80, align: 'end' },
        { header: w('lot'), width: 100 },
        { header: w('expiry'), width: 89 },
      ],
      shipment.items.map((i) => [
        `${items.get(i.itemCode)?.name ?? i.itemCode} (${i.itemCode})`,
        tr.number(i.quantity),
        i.lot || w('none'),
        i.expiresOn ? tr.date(i.expiresOn) : w('none'),
      ]),
    );
    pdf.down(6);
    pdf.line(
      `${w('totalUnits')}: ${tr.number(shipment.items.reduce((s, i) => s + i.quantity, 0))}`,
      {
        bold: true,
        size: 10,
      },
    );
    pdf.down(40);
    pdf.line(w(kind === 'waybill' ? 'receivedBy' : 'signature'), { size: 9, color: '#5a6472' });
    pdf.down(30);
    pdf.rule();
    return pdf.finish((n, total) => w('page', { n: tr.number(n), total: tr.number(total) }));
  }
}
