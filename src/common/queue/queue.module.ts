import { Global, Module } from '@nestjs/common';
import { DiscoveryModule } from '@nestjs/core';
import { OutboxRelay } from './outbox-relay.service';
import { OutboxRepository } from './outbox.repository';
import { OutboxService } from './outbox.service';
import { QueueRegistry } from './queue-registry.service';
import { WorkerSupervisor } from './worker-supervisor.service';

/** Jobs infrastructure: the outbox, its relay, producer queues and supervised workers. */
@Global()
@Module({
  imports: [DiscoveryModule],
  providers: [OutboxRepository, OutboxService, OutboxRelay, QueueRegistry, WorkerSupervisor],
  exports: [OutboxService, OutboxRelay, QueueRegistry, WorkerSupervisor],
})
export class QueueModule {}
