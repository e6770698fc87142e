import { Injectable } from '@nestjs/common';
import { Clock } from '../../common/clock';
import { DomainError, fieldError } from '../../common/errors/domain-error';
import { decodeCursor, toPage, type Page } from '../../common/http/pagination';
import type { Principal } from '../auth/principal';
import { lockRequests } from '../../common/db/locks';
import { DomainEvents } from '../../common/events/domain-events';
import { SlaClocksService } from '../sla/sla-clocks.service';
import { ItemsRepository } from '../items/items.repository';
import { isCountryCode, parseLocation } from '../reference/locations';
import type { ClockResponseDto } from '../sla/dto/sla-clock.dto';
import type { CreateRequestDto, RequestResponseDto } from './dto/request.dto';
import {
  type RequestFilter,
  type RequestLineRow,
  type RequestRow,
  RequestsRepository,
} from './requests.repository';
import { groupBy } from '../../common/group-by';

/** A clock start may be in the past, never in the future (5 minutes of clock skew allowed). */
const FUTURE_TOLERANCE_MS = 5 * 60 * 1000;

export function mapRequest(
  row: RequestRow,
  lines: RequestLineRow[],
  slaClocks: ClockResponseDto[],
): RequestResponseDto {
  return {
    id: row.id,
    reference: row.reference,
    recipientCountry: row.recipient_country,
    organisation: row.organisation,
    destination: row.destination,
    priority: row.priority,
    kind: row.kind,
    status: row.status,
    receivedAt: row.received_at.toISOString(),
    neededBy: row.needed_by?.toISOString() ?? null,
    notes: row.notes,
    firstDispatchAt: row.first_dispatch_at?.toISOString() ?? null,
    deliveredAt: row.delivered_at?.toISOString() ?? null,
    decisionReason: row.decision_reason,
    version: row.version,
    createdAt: row.created_at.toISOString(),
    createdBy: row.created_by,
    updatedAt: row.updated_at.toISOString(),
    updatedBy: row.updated_by,
    lines: lines.map((l) => ({
      id: l.id,
      lineNo: l.line_no,
      itemCode: l.item_code,
      itemName: l.item_name,
      quantity: l.quantity,
      allocated: l.allocated,
      dispatched: l.dispatched,
      delivered: l.delivered,
    })),
    slaClocks,
  };
}

@Injectable()
export class RequestsService {
  constructor(
    private readonly requests: RequestsRepository,
    private readonly items: ItemsRepository,
    private readonly events: DomainEvents,
    private readonly sla: SlaClocksService,
    private readonly clock: Clock,
  ) {}

  async create(dto: CreateRequestDto, by: Principal): Promise<RequestResponseDto> {
    if (!isCountryCode(dto.recipientCountry)) {
      throw fieldError('recipientCountry', `${dto.recipientCountry} is not an ISO 3166-1 country`);
    }
    const destination = parseLocation(dto.destination);
    if ('error' in destination) throw fieldError('destination', destination.error);
    if (destination.country && destination.country !== dto.recipientCountry) {
      throw fieldError(
        'destination',
        `${destination.code} is in ${destination.country}, not in ${dto.recipientCountry}`,
      );
    }
    const now = this.clock.now();
    const receivedAt = dto.receivedAt ?? now;
    if (receivedAt.getTime() > now.getTime() + FUTURE_TOLERANCE_MS)
      throw fieldError('receivedAt', 'must not be in the future');
    if (dto.neededBy && dto.neededBy.getTime() < receivedAt.getTime()) {
      throw fieldError('neededBy', 'must not be before receivedAt');
    }
    const codes = dto.lines.map((l) => l.itemCode);
    const duplicate = codes.findIndex((c, i) => codes.indexOf(c) !== i);
    if (duplicate >= 0)
      throw fieldError(
        `lines[${duplicate}].itemCode`,
        `${codes[duplicate]} appears twice: merge the lines`,
      );

    const id = await this.requests.transaction(async (manager) => {
      const known = new Map(
        (await this.items.findByCodes(manager, codes)).map((i) => [i.code, i.id]),
      );
      const unknown = codes.findIndex((c) => !known.has(c));
      if (unknown >= 0) {
        throw new DomainError(
          'unprocessable',
          `lines[${unknown}].itemCode: no item ${codes[unknown]} in the catalogue`,
          {
            errors: [
              {
                field: `lines[${unknown}].itemCode`,
                messages: [`no item ${codes[unknown]} in the catalogue`],
              },
            ],
          },
        );
      }
      const created = await this.requests.insert(
        manager,
        {
          recipient_country: dto.recipientCountry,
          organisation: dto.organisation,
          destination: destination.code,
          priority: dto.priority,
          kind: dto.kind,
          received_at: receivedAt,
          needed_by: dto.neededBy ?? null,
          notes: dto.notes ?? null,
        },
        dto.lines.map((l) => ({ itemId: known.get(l.itemCode)!, quantity: l.quantity })),
        by.keyId,
      );
      // Its clocks start at receivedAt, in the same transaction.
      await this.events.emit('requests.changed', {
        manager,
        requestIds: [created],
        rollUp: false,
      });
      return created;
    });
    return this.get(id);
  }

  async get(id: string): Promise<RequestResponseDto> {
    const row = await this.requests.findById(id);
    if (!row) throw new DomainError('not_found', `Request ${id} does not exist.`);
    const clocks = await this.sla.ofSubjects([id]);
    return mapRequest(row, await this.requests.linesOf([id]), clocks.get(id) ?? []);
  }

  async list(
    limit: number,
    filter: RequestFilter,
    cursor?: string,
  ): Promise<Page<RequestResponseDto>> {
    const after = cursor ? decodeCursor(cursor, ['timestamp', 'uuid']) : undefined;
    const rows = await this.requests.list(
      limit + 1,
      filter,
      after ? { receivedAt: after[0], id: after[1] } : undefined,
    );
    const page = toPage(
      rows,
      limit,
      (r) => r,
      (r) => [r.received_at.toISOString(), r.id],
    );
    const lines = groupBy(
      await this.requests.linesOf(page.data.map((r) => r.id)),
      (l) => l.request_id,
    );
    const clocks = await this.sla.ofSubjects(page.data.map((r) => r.id));
    return {
      data: page.data.map((r) => mapRequest(r, lines.get(r.id) ?? [], clocks.get(r.id) ?? [])),
      nextCursor: page.nextCursor,
    };
  }

  approve(id: string, by: Principal): Promise<RequestResponseDto> {
    return this.decide(id, ['received'], 'approved', by, null);
  }

  reject(id: string, by: Principal, reason?: string): Promise<RequestResponseDto> {
    if (!reason) throw fieldError('reason', 'is required to reject a request');
    return this.decide(id, ['received'], 'rejected', by, reason);
  }

  /** Cancels a request none of whose orders is live (cancel those first). */
  async cancel(id: string, by: Principal, reason?: string): Promise<RequestResponseDto> {
    if (!reason) throw fieldError('reason', 'is required to cancel a request');
    await this.requests.transaction(async (manager) => {
      await lockRequests(manager, [id]);
      const live = await this.requests.liveOrderReferences(manager, id);
      if (live.length > 0) {
        throw new DomainError('conflict', `Cancel its live orders first: ${live.join(', ')}.`, {
          liveOrders: live,
        });
      }
      await this.transition(manager, id, ['received', 'approved'], 'cancelled', by, reason);
    });
    return this.get(id);
  }

  private async decide(
    id: string,
    from: string[],
    to: string,
    by: Principal,
    reason: string | null,
  ) {
    await this.requests.transaction((manager) =>
      this.transition(manager, id, from, to, by, reason),
    );
    return this.get(id);
  }

  private async transition(
    manager: Parameters<RequestsRepository['setWorkflowStatus']>[0],
    id: string,
    from: string[],
    to: string,
    by: Principal,
    reason: string | null,
  ): Promise<void> {
    if (await this.requests.setWorkflowStatus(manager, id, from, to, by.keyId, reason)) {
      await this.events.emit('requests.changed', { manager, requestIds: [id], rollUp: true });
      if (to === 'approved')
        await this.events.emit('requests.approved', { manager, requestIds: [id] });
      return;
    }
    const current = await this.requests.findById(id, manager);
    if (!current) throw new DomainError('not_found', `Request ${id} does not exist.`);
    throw new DomainError(
      'conflict',
      `Request ${current.reference} is ${current.status}: it cannot become ${to}.`,
      {
        currentStatus: current.status,
        allowedFrom: from,
      },
    );
  }
}
