import { Injectable, Module, type OnModuleInit } from '@nestjs/common';
import { DiscoveryModule, DiscoveryService, MetadataScanner } from '@nestjs/core';
import type { EntityManager } from 'typeorm';
import type { AlertRow } from '../../modules/alerts/alerts.repository';

/**
 * What happens in the domain, announced by the module that owns the change, inside its
 * transaction: handlers receive the transaction's EntityManager and run before the commit, so
 * what they write shares the fate of the change. Slow or external work (webhooks, rollups)
 * goes through the outbox from a handler, never inside it. Emitters know nothing of their
 * subscribers, so imports point one way: from a feature to what it uses, never back.
 */
export interface DomainEventMap {
  /** Facts were recorded or voided for locked shipments; their folds are stored. */
  'shipments.changed': ShipmentsChanged;
  /** Requests (locked) changed what their clocks and roll-ups depend on. */
  'requests.changed': RequestsChanged;
  /** Coordinators approved requests (received -> approved); their roll-up is done. */
  'requests.approved': RequestsMoved;
  /** Requests (locked) became delivered: every line's goods arrived. */
  'requests.fulfilled': RequestsMoved;
  /** Alerts were stored (each once per cause): people and systems are told. */
  'alerts.raised': AlertsMoved;
  /** An operator acknowledged open alerts: whoever would be escalated to need not be. */
  'alerts.acknowledged': AlertsMoved;
  /** Alerts' causes ended (the clock stopped, the shipment moved on, the fact was voided). */
  'alerts.resolved': AlertsMoved;
}

export interface AlertsMoved {
  manager: EntityManager;
  alerts: AlertRow[];
}

export type DomainEventName = keyof DomainEventMap;

/** A shipment as the modules that follow it know it. */
export interface ShipmentRef {
  id: string;
  reference: string;
  mode: string;
  country: string | null;
  carrierId: string;
}

export interface Hold {
  from: Date;
  to: Date | null;
}

/** What a shipment's facts fold into. */
export interface ShipmentState {
  status: string;
  resumeStatus: string | null;
  dispatchedAt: Date | null;
  deliveredAt: Date | null;
  holds: Hold[];
}

export interface ShipmentChange {
  shipment: ShipmentRef;
  before: ShipmentState;
  after: ShipmentState;
}

/** A fact stored in this change. */
export interface RecordedFact {
  id: string;
  /** Orders facts of one shipment as they were recorded (and, when applied, applied). */
  sequence: number;
  shipment: ShipmentRef;
  status: string;
  outcome: string;
  occurredAt: Date;
  location: string | null;
  exceptionReason: string | null;
  temperatureC: number | null;
}

export interface ProofLine {
  shipmentItemId: string;
  receivedGood: number;
  damaged: number;
  missing: number;
}

export interface ShipmentsChanged {
  manager: EntityManager;
  /** Shipments whose folded state moved (all of them when `recomputed`). */
  changes: ShipmentChange[];
  /** Facts stored by this change. */
  facts: RecordedFact[];
  /** Proofs of delivery recorded with a `delivered` fact, by that fact's id. */
  proofs: { factId: string; receivedBy: string | null; lines: ProofLine[] }[];
  /** Facts voided by this change. */
  voidedFactIds: string[];
  /** Derived state is to be recomputed whatever moved (a voided fact, a backfill). */
  recomputed: boolean;
}

export interface RequestsMoved {
  manager: EntityManager;
  requestIds: string[];
}

export interface RequestsChanged {
  manager: EntityManager;
  requestIds: string[];
  /** Orders or workflow moved: roll quantities and statuses up again from scratch. */
  rollUp: boolean;
}

type Handler<K extends DomainEventName> = (event: DomainEventMap[K]) => Promise<void>;

const HANDLER = Symbol('domain-event-handler');

interface HandlerMeta {
  name: DomainEventName;
  /** Lower runs first (a roll-up before the clocks that read it). */
  order: number;
}

/** Subscribes a provider's method to an event; its parameter type is checked against the map. */
export function OnDomainEvent<K extends DomainEventName>(name: K, order = 0) {
  return (
    _target: object,
    _key: string | symbol,
    descriptor: TypedPropertyDescriptor<Handler<K>>,
  ): void => {
    Reflect.defineMetadata(HANDLER, { name, order } satisfies HandlerMeta, descriptor.value!);
  };
}

@Injectable()
export class DomainEvents implements OnModuleInit {
  private readonly handlers = new Map<DomainEventName, { order: number; run: Handler<never> }[]>();

  constructor(
    private readonly discovery: DiscoveryService,
    private readonly scanner: MetadataScanner,
  ) {}

  onModuleInit(): void {
    for (const wrapper of this.discovery.getProviders()) {
      const instance = wrapper.instance as Record<string, unknown> | undefined;
      if (!instance || typeof instance !== 'object' || !wrapper.isDependencyTreeStatic()) continue;
      for (const method of this.scanner.getAllMethodNames(Object.getPrototypeOf(instance))) {
        const fn = instance[method];
        const meta =
          typeof fn === 'function'
            ? (Reflect.getMetadata(HANDLER, fn) as HandlerMeta | undefined)
            : undefined;
        if (!meta) continue;
        const list = this.handlers.get(meta.name) ?? [];
        list.push({ order: meta.order, run: (fn as Handler<never>).bind(instance) });
        list.sort((a, b) => a.order - b.order);
        this.handlers.set(meta.name, list);
      }
    }
  }

  /** Runs every handler of the event, one after another, in the caller's transaction. */
  async emit<K extends DomainEventName>(name: K, event: DomainEventMap[K]): Promise<void> {
    for (const handler of this.handlers.get(name) ?? []) {
      await (handler.run as Handler<K>)(event);
    }
  }
}

@Module({
  imports: [DiscoveryModule],
  providers: [DomainEvents],
  exports: [DomainEvents],
})
export class DomainEventsModule {}
