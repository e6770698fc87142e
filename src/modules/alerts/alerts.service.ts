import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { Clock } from '../../common/clock';
import { DomainError } from '../../common/errors/domain-error';
import { decodeCursor, toPage, type Page } from '../../common/http/pagination';
import {
  DomainEvents,
  OnDomainEvent,
  type ShipmentsChanged,
} from '../../common/events/domain-events';
import { Env } from '../../config/env';
import { type Principal, scopeToCarrier } from '../auth/principal';
import { WebhooksService } from '../webhooks/webhooks.service';
import { discrepancyAlert, eventAlerts, type NewAlert, type ShipmentFacts } from './alert-rules';
import {
  type AlertFilter,
  type AlertRow,
  AlertsRepository,
  type ResolveScope,
  type SweptShipmentRow,
} from './alerts.repository';
import { type AlertResponseDto, mapAlert } from './dto/alert.dto';

const SWEEP_BATCH = 1_000;

/**
 * Raises, resolves and lists alerts. Every alert is raised through `raise`, inside the
 * transaction of the change that caused it: the alert is stored once per cause (a unique key
 * in PostgreSQL), its webhook messages are queued with it, and live streams are woken.
 */
@Injectable()
export class AlertsService {
  constructor(
    private readonly alerts: AlertsRepository,
    private readonly webhooks: WebhooksService,
    private readonly events: DomainEvents,
    private readonly clock: Clock,
    private readonly env: Env,
  ) {}

  async raise(manager: EntityManager, alerts: NewAlert[]): Promise<AlertRow[]> {
    const raised = await this.alerts.insert(manager, alerts);
    if (raised.length === 0) return raised;
    await this.events.emit('alerts.raised', { manager, alerts: raised });
    await this.webhooks.publish(
      manager,
      raised.map((row) => ({
        type: `alert.${row.kind}`,
        alertId: row.id,
        timestamp: row.raised_at,
        data: mapAlert(row),
      })),
    );
    return raised;
  }

  /**
   * What a shipment's new facts mean for alerts: an exception, a loss or a return, a
   * temperature out of range, a proof of delivery with goods damaged or missing; and the
   * alerts whose cause ended (the shipment left exception, the fact was voided).
   */
  @OnDomainEvent('shipments.changed')
  async onShipmentsChanged(event: ShipmentsChanged): Promise<void> {
    const { manager, changes, facts, proofs, voidedFactIds } = event;
    await this.resolve(manager, { eventIds: voidedFactIds }, 'event voided');
    await this.resolve(
      manager,
      {
        shipmentIds: changes
          .filter((c) => c.before.status === 'exception' && c.after.status !== 'exception')
          .map((c) => c.shipment.id),
        kinds: ['shipment_exception'],
      },
      'shipment left exception',
    );
    const proofOf = new Map(proofs.map((p) => [p.factId, p.lines]));
    const alerting = facts.filter(
      (f) =>
        f.temperatureC !== null ||
        ['exception', 'lost', 'returned'].includes(f.status) ||
        proofOf.has(f.id),
    );
    if (alerting.length === 0) return;
    const coldChain = await this.alerts.coldChain(manager, [
      ...new Set(alerting.filter((f) => f.temperatureC !== null).map((f) => f.shipment.id)),
    ]);
    const shipments = new Map<string, ShipmentFacts>(
      alerting.map(({ shipment: s }) => [
        s.id,
        {
          id: s.id,
          reference: s.reference,
          country: s.country,
          carrierId: s.carrierId,
          coldChain: coldChain.has(s.id),
        },
      ]),
    );
    const raised: NewAlert[] = eventAlerts(
      alerting.map((f) => ({ ...f, shipmentId: f.shipment.id })),
      shipments,
    );
    for (const f of alerting) {
      const lines = proofOf.get(f.id);
      const alert = lines && discrepancyAlert(shipments.get(f.shipment.id)!, f, lines);
      if (alert) raised.push(alert);
    }
    await this.raise(manager, raised);
  }

  /** Resolves the open alerts in scope, and tells `alert.resolved` subscribers. */
  async resolve(
    manager: EntityManager,
    scope: ResolveScope,
    resolution: string,
  ): Promise<AlertRow[]> {
    return this.resolved(
      manager,
      await this.alerts.resolve(manager, scope, resolution, this.clock.now()),
    );
  }

  private async resolved(manager: EntityManager, rows: AlertRow[]): Promise<AlertRow[]> {
    if (rows.length === 0) return rows;
    await this.events.emit('alerts.resolved', { manager, alerts: rows });
    await this.webhooks.publish(
      manager,
      rows.map((row) => ({
        type: 'alert.resolved',
        alertId: row.id,
        timestamp: row.resolved_at!,
        data: mapAlert(row),
      })),
    );
    return rows;
  }

  /**
   * Raises tracking_stale for moving shipments with no event for TRACKING_STALE_SECONDS and
   * eta_overdue for shipments past their estimated arrival, and resolves those whose cause
   * ended. Runs every minute; safe to run anywhere at once (one alert per cause).
   */
  async sweepShipments(): Promise<{ raised: number; resolved: number }> {
    const now = this.clock.now();
    const staleMs = this.env.TRACKING_STALE_SECONDS * 1000;
    let raised = 0;
    for (;;) {
      const stale = await this.alerts.staleShipments(now, staleMs, SWEEP_BATCH);
      const overdue = await this.alerts.overdueShipments(now, SWEEP_BATCH);
      if (stale.length + overdue.length === 0) break;
      const rows = await this.alerts.transaction((manager) =>
        this.raise(manager, [
          ...stale.map((s) => staleAlert(s, staleMs)),
          ...overdue.map(overdueAlert),
        ]),
      );
      raised += rows.length;
      if (stale.length < SWEEP_BATCH && overdue.length < SWEEP_BATCH) break;
    }
    const resolved = await this.alerts.transaction(async (manager) =>
      this.resolved(manager, await this.alerts.resolveSweptCauses(manager, now)),
    );
    return { raised, resolved: resolved.length };
  }

  async get(id: string, by: Principal): Promise<AlertRow> {
    const alert = await this.alerts.findById(id);
    if (!alert || (by.carrierId && alert.carrier_id !== by.carrierId)) {
      throw new DomainError('not_found', `Alert ${id} does not exist.`);
    }
    return alert;
  }

  async list(
    limit: number,
    filter: AlertFilter,
    by: Principal,
    cursor?: string,
  ): Promise<Page<AlertResponseDto>> {
    const after = cursor
      ? (decodeCursor(cursor, ['timestamp', 'uuid']) as [string, string])
      : undefined;
    const rows = await this.alerts.list(limit + 1, scopeToCarrier(filter, by), after);
    return toPage(rows, limit, mapAlert, (r) => [r.raised_at.toISOString(), r.id]);
  }

  /** How many alerts match a filter (as the principal may see them). */
  count(filter: AlertFilter, by: Principal): Promise<number> {
    return this.alerts.count(scopeToCarrier(filter, by));
  }

  /** Records who acknowledged an alert and when; acknowledging again changes nothing. */
  async acknowledge(id: string, by: Principal, note?: string): Promise<AlertRow> {
    await this.get(id, by);
    const acknowledged = await this.alerts.transaction(async (manager) => {
      const row = await this.alerts.acknowledge(
        manager,
        id,
        by.keyId,
        note ?? null,
        this.clock.now(),
      );
      if (row) await this.events.emit('alerts.acknowledged', { manager, alerts: [row] });
      return row;
    });
    return acknowledged ?? (await this.get(id, by));
  }
}

function staleAlert(s: SweptShipmentRow, staleMs: number): NewAlert {
  const hours = Math.round((staleMs / 3_600_000) * 10) / 10;
  return {
    kind: 'tracking_stale',
    dedupeKey: s.dedupe_key,
    severity: 'warning',
    reference: s.reference,
    title: `${s.reference} (${s.status}) has had no tracking event for ${hours} h`,
    details: { lastEventAt: s.last_event_at, status: s.status, staleAfterSeconds: staleMs / 1000 },
    shipmentId: s.id,
    country: s.destination_country,
    carrierId: s.carrier_id,
    causeAt: new Date(s.last_event_at!.getTime() + staleMs),
  };
}

function overdueAlert(s: SweptShipmentRow): NewAlert {
  return {
    kind: 'eta_overdue',
    dedupeKey: s.dedupe_key,
    severity: 'warning',
    reference: s.reference,
    title: `${s.reference} (${s.status}) was estimated to arrive by ${s.estimated_arrival_at!.toISOString()}`,
    details: { estimatedArrivalAt: s.estimated_arrival_at, status: s.status },
    shipmentId: s.id,
    country: s.destination_country,
    carrierId: s.carrier_id,
    causeAt: s.estimated_arrival_at!,
  };
}
