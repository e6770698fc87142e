import { DiscoveryService } from '@nestjs/core';
import type { QueueJob, QueueName } from './jobs';

/** Marks a provider as the processor of one queue; the worker supervisor finds it. */
export const Processor = DiscoveryService.createDecorator<QueueName>();

/** A processor is thin: it switches on job.name and calls a service. */
export interface QueueProcessor<Q extends QueueName> {
  process(job: QueueJob<Q>): Promise<unknown>;
}
