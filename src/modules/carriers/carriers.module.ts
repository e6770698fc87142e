import { Module } from '@nestjs/common';
import { CarriersController } from './carriers.controller';
import { CarriersRepository } from './carriers.repository';
import { CarriersService } from './carriers.service';

@Module({
  controllers: [CarriersController],
  providers: [CarriersRepository, CarriersService],
  exports: [CarriersRepository],
})
export class CarriersModule {}
