import { Injectable } from '@nestjs/common';
import { Clock } from '../../common/clock';
import type { EntityManager } from 'typeorm';
import { DomainError, fieldError } from '../../common/errors/domain-error';
import { groupBy } from '../../common/group-by';
import { assertIfMatch } from '../../common/http/etag';
import { decodeCursor, toPage, type Page } from '../../common/http/pagination';
import type { Principal } from '../auth/principal';
import { CarriersRepository } from '../carriers/carriers.repository';
import { lockRequests } from '../../common/db/locks';
import { DomainEvents } from '../../common/events/domain-events';
import { parseLocation } from '../reference/locations';
import type { CreateShipmentDto, LegInputDto, UpdateShipmentDto } from './dto/shipment.dto';
import type { ShipmentResponseDto } from './dto/shipment-response.dto';
import { ShipmentEventsService } from './shipment-events.service';
import { SlaClocksService } from '../sla/sla-clocks.service';
import { mapShipment } from './shipment-mappers';
import { isTerminal, type ShipmentStatus } from './shipment-status';
import { type NewLeg, type ShipmentFilter, ShipmentsRepository } from './shipments.repository';

function location(field: string, raw: string) {
  const parsed = parseLocation(raw);
  if ('error' in parsed) throw fieldError(field, parsed.error);
  return parsed;
}

@Injectable()
export class ShipmentsService {
  constructor(
    private readonly shipments: ShipmentsRepository,
    private readonly carriers: CarriersRepository,
    private readonly domain: DomainEvents,
    private readonly events: ShipmentEventsService,
    private readonly sla: SlaClocksService,
    private readonly clock: Clock,
  ) {}

  /** Plans a shipment of goods taken from confirmed order lines. */
  async create(dto: CreateShipmentDto, by: Principal): Promise<ShipmentResponseDto> {
    const origin = location('origin', dto.origin);
    const destination = location('destination', dto.destination);
    const legs = this.legs(dto.legs ?? [], dto.carrierId);
    const id = await this.shipments.transaction(async (manager) => {
      await this.checkCarrier(manager, dto.carrierId, dto.mode, 'carrierId');
      for (const [i, leg] of legs.entries()) {
        if (leg.carrierId && leg.carrierId !== dto.carrierId) {
          await this.checkCarrier(manager, leg.carrierId, leg.mode, `legs[${i}].carrierId`);
        }
      }
      const lineIds = [...new Set(dto.items.map((i) => i.orderLineId))];
      const requestIds = (await this.shipments.orderLines(manager, lineIds)).map(
        (l) => l.request_id,
      );
      await lockRequests(manager, requestIds);
      // Read again under the requests' locks: an order cancelled meanwhile ships nothing.
      const lines = new Map(
        (await this.shipments.orderLines(manager, lineIds)).map((l) => [l.id, l]),
      );
      const shipped = await this.shipments.shippedOf(manager, lineIds);
      const taking = new Map<string, number>();
      dto.items.forEach((item, i) => {
        const line = lines.get(item.orderLineId);
        if (!line)
          throw fieldError(`items[${i}].orderLineId`, 'no such order line', 'unprocessable');
        if (line.order_status !== 'confirmed' && line.order_status !== 'ready') {
          throw new DomainError(
            'conflict',
            `items[${i}]: order ${line.order_reference} is ${line.order_status}; only confirmed or ready orders ship.`,
          );
        }
        const expires = Date.parse(`${item.expiresOn}T00:00:00Z`);
        if (
          Number.isNaN(expires) ||
          new Date(expires).toISOString().slice(0, 10) !== item.expiresOn
        ) {
          throw fieldError(`items[${i}].expiresOn`, 'is not a calendar date');
        }
        const total = (taking.get(item.orderLineId) ?? 0) + item.quantity;
        taking.set(item.orderLineId, total);
        const left = line.quantity - (shipped.get(item.orderLineId) ?? 0);
        if (total > left) {
          throw new DomainError(
            'conflict',
            `items[${i}].quantity: ${total} exceeds what order line ${item.orderLineId} has not yet shipped (${Math.max(left, 0)} left of ${line.quantity}).`,
            { field: `items[${i}].quantity`, remaining: Math.max(left, 0), requested: total },
          );
        }
      });
      if (dto.packageMarks && dto.packageMarks.length > (dto.packages ?? dto.packageMarks.length)) {
        throw fieldError(
          'packageMarks',
          `${dto.packageMarks.length} marks for ${dto.packages} packages: at most one per package`,
        );
      }
      const shipmentId = await this.shipments.insert(
        manager,
        {
          carrierId: dto.carrierId,
          mode: dto.mode,
          origin: origin.code,
          destination: destination.code,
          destinationCountry: destination.country,
          trackingReference: dto.trackingReference,
          plannedDepartureAt: dto.plannedDepartureAt ?? null,
          estimatedArrivalAt: dto.estimatedArrivalAt ?? null,
          notes: dto.notes ?? null,
          packages: dto.packages ?? null,
          packageMarks: dto.packageMarks ?? null,
          grossWeightKg: dto.grossWeightKg ?? null,
          volumeM3: dto.volumeM3 ?? null,
          declaredValue: dto.declaredValue?.amount ?? null,
          currency: dto.declaredValue?.currency ?? null,
        },
        by.keyId,
      );
      if (!shipmentId) {
        throw new DomainError(
          'conflict',
          `The carrier already has a shipment with tracking reference ${dto.trackingReference}.`,
        );
      }
      await this.shipments.insertItems(manager, shipmentId, dto.items);
      await this.shipments.replaceLegs(manager, shipmentId, legs);
      await this.domain.emit('requests.changed', {
        manager,
        requestIds: [...lines.values()].map((l) => l.request_id),
        rollUp: true,
      });
      return shipmentId;
    });
    return this.get(id, by, false);
  }

  async get(id: string, by: Principal, withHistory = true): Promise<ShipmentResponseDto> {
    const row = this.events.visible(await this.shipments.findById(id), by, id);
    const [items, legs, clocks, history] = await Promise.all([
      this.shipments.itemsOf([id]),
      this.shipments.legsOf([id]),
      this.sla.ofSubjects([id]),
      withHistory ? this.shipments.history([id]) : Promise.resolve(undefined),
    ]);
    return mapShipment(row, items, legs, clocks.get(id) ?? [], history);
  }

  async list(
    limit: number,
    filter: ShipmentFilter,
    by: Principal,
    cursor?: string,
  ): Promise<Page<ShipmentResponseDto>> {
    const after = cursor ? decodeCursor(cursor, ['timestamp', 'uuid']) : undefined;
    const rows = await this.shipments.list(
      limit + 1,
      { ...filter, onlyCarrierId: by.carrierId ?? undefined },
      after ? { createdAt: after[0], id: after[1] } : undefined,
    );
    const page = toPage(
      rows,
      limit,
      (r) => r,
      (r) => [r.created_at.toISOString(), r.id],
    );
    const ids = page.data.map((r) => r.id);
    const [items, legs, clocks] = await Promise.all([
      this.shipments.itemsOf(ids).then((rows) => groupBy(rows, (i) => i.shipment_id)),
      this.shipments.legsOf(ids).then((rows) => groupBy(rows, (l) => l.shipment_id)),
      this.sla.ofSubjects(ids),
    ]);
    return {
      data: page.data.map((r) =>
        mapShipment(r, items.get(r.id) ?? [], legs.get(r.id) ?? [], clocks.get(r.id) ?? []),
      ),
      nextCursor: page.nextCursor,
    };
  }

  /** Changes planned fields; If-Match must carry the version last read. */
  async update(
    id: string,
    dto: UpdateShipmentDto,
    ifMatch: string | undefined,
    by: Principal,
  ): Promise<ShipmentResponseDto> {
    const legs = dto.legs ? this.legs(dto.legs, undefined) : undefined;
    await this.shipments.transaction(async (manager) => {
      const shipment = this.events.visible(
        await this.shipments.findById(id, manager, true),
        by,
        id,
      );
      assertIfMatch(ifMatch, shipment.version);
      if (isTerminal(shipment.status as ShipmentStatus)) {
        throw new DomainError(
          'conflict',
          `Shipment ${shipment.reference} is ${shipment.status}: its plan is final.`,
        );
      }
      if (dto.plannedDepartureAt !== undefined && shipment.dispatched_at) {
        throw new DomainError(
          'conflict',
          `Shipment ${shipment.reference} has left: its planned departure is history.`,
        );
      }
      if (legs) {
        for (const [i, leg] of legs.entries()) {
          leg.carrierId ??= shipment.carrier_id;
          if (leg.carrierId !== shipment.carrier_id)
            await this.checkCarrier(manager, leg.carrierId, leg.mode, `legs[${i}].carrierId`);
        }
        await this.shipments.replaceLegs(manager, id, legs);
      }
      await this.shipments.updatePlanned(manager, id, dto, by.keyId);
    });
    return this.get(id, by);
  }

  /** Cancels a shipment that has not left: a `cancelled` event, its goods back to their orders. */
  async cancel(
    id: string,
    reason: string | undefined,
    by: Principal,
  ): Promise<ShipmentResponseDto> {
    await this.shipments.transaction(async (manager) => {
      const shipment = this.events.visible(
        await this.shipments.findById(id, manager, true),
        by,
        id,
      );
      const { results } = await this.events.recordFacts(
        manager,
        [shipment],
        new Map([
          [
            shipment.id,
            [{ status: 'cancelled' as const, occurredAt: this.clock.now(), notes: reason }],
          ],
        ]),
        { by },
      );
      const [result] = results.get(shipment.id)!;
      if (result.outcome === 'rejected') {
        throw new DomainError(
          'conflict',
          `Shipment ${shipment.reference} cannot be cancelled: ${result.reason}`,
          { currentStatus: shipment.status, allowedTransitions: result.allowed ?? [] },
        );
      }
      if (result.outcome !== 'applied') {
        throw new DomainError(
          'conflict',
          `Shipment ${shipment.reference} cannot be cancelled: a later event stands.`,
          { currentStatus: shipment.status },
        );
      }
    });
    return this.get(id, by);
  }

  private legs(input: LegInputDto[], defaultCarrier: string | undefined): NewLeg[] {
    return input.map((leg, i) => ({
      mode: leg.mode,
      carrierId: leg.carrierId ?? defaultCarrier ?? null,
      from: location(`legs[${i}].from`, leg.from).code,
      to: location(`legs[${i}].to`, leg.to).code,
      departure: leg.departure ?? {},
      arrival: leg.arrival ?? {},
    }));
  }

  private async checkCarrier(
    manager: EntityManager,
    carrierId: string,
    mode: string,
    field: string,
  ): Promise<void> {
    const carrier = await this.carriers.findById(carrierId, manager);
    if (!carrier) throw fieldError(field, 'no such carrier', 'unprocessable');
    if (!carrier.active) throw new DomainError('conflict', `Carrier ${carrier.code} is inactive.`);
    if (!carrier.modes.includes(mode)) {
      throw new DomainError(
        'unprocessable',
        `${field}: carrier ${carrier.code} does not run ${mode} (runs ${carrier.modes.join(', ')}).`,
        {
          errors: [{ field, messages: [`carrier does not run ${mode}`] }],
        },
      );
    }
  }
}
