import { Global, Module } from '@nestjs/common';
import { FulfilmentRepository } from './fulfilment.repository';

@Global()
@Module({ providers: [FulfilmentRepository], exports: [FulfilmentRepository] })
export class FulfilmentModule {}
