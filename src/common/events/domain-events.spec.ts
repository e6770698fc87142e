import { Injectable, Module } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import type { EntityManager } from 'typeorm';
import {
  DomainEvents,
  DomainEventsModule,
  OnDomainEvent,
  type RequestsChanged,
  type ShipmentsChanged,
} from './domain-events';

const calls: string[] = [];

@Injectable()
class LateListener {
  @OnDomainEvent('requests.changed', 10)
  async clocks(event: RequestsChanged): Promise<void> {
    calls.push(`clocks:${event.requestIds.join(',')}`);
  }
}

@Injectable()
class EarlyListener {
  @OnDomainEvent('requests.changed', 0)
  async rollUp(event: RequestsChanged): Promise<void> {
    // A handler runs to its end before the next one starts.
    await new Promise((resolve) => setTimeout(resolve, 20));
    calls.push(`roll-up:${event.rollUp}`);
  }

  @OnDomainEvent('shipments.changed')
  async failing(event: ShipmentsChanged): Promise<void> {
    throw new Error(`handler failed after ${event.changes.length} changes`);
  }
}

@Module({ imports: [DomainEventsModule], providers: [LateListener, EarlyListener] })
class ListenersModule {}

describe('domain events', () => {
  let events: DomainEvents;

  beforeAll(async () => {
    const module = await Test.createTestingModule({ imports: [ListenersModule] }).compile();
    await module.init();
    events = module.get(DomainEvents);
  });

  beforeEach(() => calls.splice(0));

  it('runs every handler of an event one after another, lower order first', async () => {
    await events.emit('requests.changed', {
      manager: {} as EntityManager,
      requestIds: ['r1'],
      rollUp: true,
    });
    expect(calls).toEqual(['roll-up:true', 'clocks:r1']);
  });

  it("passes a handler's failure to the emitter, so the transaction rolls back", async () => {
    await expect(
      events.emit('shipments.changed', {
        manager: {} as EntityManager,
        changes: [],
        facts: [],
        proofs: [],
        voidedFactIds: [],
        recomputed: false,
      }),
    ).rejects.toThrow('handler failed after 0 changes');
  });
});
