import { Injectable } from '@nestjs/common';
import { Clock } from '../../common/clock';
import { RequestTransactions } from '../../common/db/request-transaction';
import { DomainError } from '../../common/errors/domain-error';
import type { Principal } from '../auth/principal';
import { ItemsRepository } from '../items/items.repository';
import { RequestsService } from '../requests/requests.service';
import { Catalogue, type ImportedRequest, readRequestSheet, type RowError } from './request-sheet';
import { readTable } from './sheet-reader';

export interface ImportSummary {
  dryRun: boolean;
  valid: boolean;
  rows: number;
  errors: RowError[];
  requests: {
    requestRef: string;
    recipientCountry: string;
    lines: number;
    /** Once committed: what Lifeline calls it. */
    id?: string;
    reference?: string;
  }[];
}

/** Requests from a spreadsheet: every row checked first, then all of them or none. */
@Injectable()
export class ImportsService {
  constructor(
    private readonly requests: RequestsService,
    private readonly items: ItemsRepository,
    private readonly transactions: RequestTransactions,
    private readonly clock: Clock,
  ) {}

  async importRequests(file: Buffer, dryRun: boolean, by: Principal): Promise<ImportSummary> {
    const table = await readTable(file);
    const { requests, errors, rows } = readRequestSheet(
      table,
      new Catalogue(await this.items.catalogue()),
      this.clock.now(),
    );
    const summary = (r: ImportedRequest) => ({
      requestRef: r.requestRef,
      recipientCountry: r.recipientCountry,
      lines: r.lines.length,
    });
    if (dryRun) {
      return { dryRun, valid: errors.length === 0, rows, errors, requests: requests.map(summary) };
    }
    if (errors.length > 0) {
      throw new DomainError(
        'unprocessable',
        `${errors.length} ${errors.length === 1 ? 'problem' : 'problems'} in the file (first: row ${errors[0].row}, column ${errors[0].column}: ${errors[0].message}); nothing was imported.`,
        {
          errors: errors.map((e) => ({
            field: `row ${e.row}, column ${e.column}`,
            messages: [e.message],
          })),
          rowErrors: errors,
        },
      );
    }
    const created = await this.transactions.atomically(async () => {
      const out: ImportSummary['requests'] = [];
      for (const r of requests) {
        const request = await this.requests
          .create(
            {
              recipientCountry: r.recipientCountry,
              organisation: r.organisation,
              destination: r.destination,
              priority: r.priority,
              kind: r.kind,
              neededBy: r.neededBy,
              receivedAt: r.receivedAt,
              notes: r.notes.length > 0 ? r.notes.join('\n') : undefined,
              lines: r.lines.map((l) => ({ itemCode: l.itemCode, quantity: l.quantity })),
            },
            by,
          )
          .catch((error: unknown) => {
            // Name the request and row of a refusal only the database could make.
            if (error instanceof DomainError) {
              throw new DomainError(
                error.code,
                `Request ${r.requestRef} (row ${r.row}): ${error.message} Nothing was imported.`,
                error.details,
              );
            }
            throw error;
          });
        out.push({ ...summary(r), id: request.id, reference: request.reference });
      }
      return out;
    });
    return { dryRun, valid: true, rows, errors: [], requests: created };
  }
}
