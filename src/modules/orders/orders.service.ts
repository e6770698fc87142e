import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { DomainError, fieldError } from '../../common/errors/domain-error';
import { decodeCursor, toPage, type Page } from '../../common/http/pagination';
import type { Principal } from '../auth/principal';
import { lockRequests } from '../../common/db/locks';
import { DomainEvents } from '../../common/events/domain-events';
import { RequestsRepository } from '../requests/requests.repository';
import type { CreateOrderDto, OrderResponseDto } from './dto/order.dto';
import { type OrderLineRow, type OrderRow, OrdersRepository } from './orders.repository';
import { groupBy } from '../../common/group-by';

/** Allocations of one request line, over-allocation included, stay within PostgreSQL's int. */
const MAX_ALLOCATION = 2_000_000_000;

export function mapOrder(row: OrderRow, lines: OrderLineRow[]): OrderResponseDto {
  return {
    id: row.id,
    reference: row.reference,
    requestId: row.request_id,
    source: row.source,
    status: row.status,
    allowOverAllocation: row.allow_over_allocation,
    version: row.version,
    createdAt: row.created_at.toISOString(),
    createdBy: row.created_by,
    updatedAt: row.updated_at.toISOString(),
    updatedBy: row.updated_by,
    lines: lines.map((l) => ({
      id: l.id,
      requestLineId: l.request_line_id,
      itemCode: l.item_code,
      quantity: l.quantity,
      shipped: l.shipped,
      dispatched: l.dispatched,
      delivered: l.delivered,
    })),
  };
}

@Injectable()
export class OrdersService {
  constructor(
    private readonly orders: OrdersRepository,
    private readonly requests: RequestsRepository,
    private readonly events: DomainEvents,
  ) {}

  /** Allocates against an approved request; lines may not exceed what it still needs. */
  async create(dto: CreateOrderDto, by: Principal): Promise<OrderResponseDto> {
    const id = await this.orders.transaction(async (manager) => {
      await lockRequests(manager, [dto.requestId]);
      const request = await this.requests.findById(dto.requestId, manager);
      if (!request) {
        throw fieldError('requestId', 'no such request', 'unprocessable');
      }
      if (request.workflow_status !== 'approved') {
        throw new DomainError(
          'conflict',
          `Request ${request.reference} is ${request.status}: approve it before ordering.`,
        );
      }
      const lines = new Map(
        (await this.orders.requestLines(manager, dto.requestId)).map((l) => [l.id, l]),
      );
      const asked = new Map<string, number>();
      dto.lines.forEach((line, i) => {
        const requestLine = lines.get(line.requestLineId);
        if (!requestLine) {
          throw new DomainError(
            'unprocessable',
            `lines[${i}].requestLineId: not a line of request ${request.reference}`,
            {
              errors: [
                {
                  field: `lines[${i}].requestLineId`,
                  messages: [`not a line of request ${request.reference}`],
                },
              ],
            },
          );
        }
        const total = (asked.get(line.requestLineId) ?? 0) + line.quantity;
        asked.set(line.requestLineId, total);
        if (requestLine.allocated + total > MAX_ALLOCATION) {
          throw new DomainError(
            'conflict',
            `lines[${i}].quantity: allocations of one request line may not exceed ${MAX_ALLOCATION}.`,
            {
              field: `lines[${i}].quantity`,
            },
          );
        }
        const left = requestLine.quantity - requestLine.allocated;
        if (!dto.allowOverAllocation && total > left) {
          throw new DomainError(
            'conflict',
            `lines[${i}].quantity: ${total} exceeds what the request line still needs (${Math.max(left, 0)} left of ${requestLine.quantity}).`,
            { field: `lines[${i}].quantity`, remaining: Math.max(left, 0), requested: total },
          );
        }
      });
      const orderId = await this.orders.insert(
        manager,
        {
          requestId: dto.requestId,
          source: dto.source,
          allowOverAllocation: dto.allowOverAllocation ?? false,
        },
        dto.lines,
        by.keyId,
      );
      await this.events.emit('requests.changed', {
        manager,
        requestIds: [dto.requestId],
        rollUp: true,
      });
      return orderId;
    });
    return this.get(id);
  }

  async get(id: string): Promise<OrderResponseDto> {
    const row = await this.orders.findById(id);
    if (!row) throw new DomainError('not_found', `Order ${id} does not exist.`);
    return mapOrder(row, await this.orders.linesOf([id]));
  }

  async list(
    limit: number,
    filter: { requestId?: string; status?: string },
    cursor?: string,
  ): Promise<Page<OrderResponseDto>> {
    const after = cursor ? decodeCursor(cursor, ['timestamp', 'uuid']) : undefined;
    const rows = await this.orders.list(
      limit + 1,
      filter,
      after ? { createdAt: after[0], id: after[1] } : undefined,
    );
    const page = toPage(
      rows,
      limit,
      (r) => r,
      (r) => [r.created_at.toISOString(), r.id],
    );
    const lines = groupBy(await this.orders.linesOf(page.data.map((r) => r.id)), (l) => l.order_id);
    return {
      data: page.data.map((r) => mapOrder(r, lines.get(r.id) ?? [])),
      nextCursor: page.nextCursor,
    };
  }

  confirm(id: string, by: Principal): Promise<OrderResponseDto> {
    return this.transition(id, ['draft'], 'confirmed', by);
  }

  ready(id: string, by: Principal): Promise<OrderResponseDto> {
    return this.transition(id, ['confirmed'], 'ready', by);
  }

  /** Cancels an order no live shipment carries; its allocation returns to the request. */
  cancel(id: string, by: Principal): Promise<OrderResponseDto> {
    return this.transition(
      id,
      ['draft', 'confirmed', 'ready'],
      'cancelled',
      by,
      async (manager) => {
        const live = await this.orders.liveShipmentReferences(manager, id);
        if (live.length > 0) {
          throw new DomainError(
            'conflict',
            `Cancel the shipments carrying it first: ${live.join(', ')}.`,
            {
              liveShipments: live,
            },
          );
        }
      },
    );
  }

  private async transition(
    id: string,
    from: string[],
    to: string,
    by: Principal,
    check?: (manager: EntityManager) => Promise<void>,
  ): Promise<OrderResponseDto> {
    await this.orders.transaction(async (manager) => {
      const order = await this.orders.findById(id, manager);
      if (!order) throw new DomainError('not_found', `Order ${id} does not exist.`);
      await lockRequests(manager, [order.request_id]);
      await check?.(manager);
      if (!(await this.orders.setWorkflowStatus(manager, id, from, to, by.keyId))) {
        const current = (await this.orders.findById(id, manager))!;
        throw new DomainError(
          'conflict',
          `Order ${current.reference} is ${current.status}: it cannot become ${to}.`,
          {
            currentStatus: current.status,
            allowedFrom: from,
          },
        );
      }
      await this.events.emit('requests.changed', {
        manager,
        requestIds: [order.request_id],
        rollUp: true,
      });
    });
    return this.get(id);
  }
}
