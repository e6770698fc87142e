import { Module } from '@nestjs/common';
import { APP_INTERCEPTOR } from '@nestjs/core';
import { RequestTransactions } from '../db/request-transaction';
import { IdempotencyInterceptor } from './idempotency.interceptor';
import { IdempotencyRepository } from './idempotency.repository';

/** Idempotency-Key for every POST, and the store the maintenance job purges. */
@Module({
  providers: [
    IdempotencyRepository,
    RequestTransactions,
    { provide: APP_INTERCEPTOR, useClass: IdempotencyInterceptor },
  ],
  exports: [IdempotencyRepository, RequestTransactions],
})
export class IdempotencyModule {}
