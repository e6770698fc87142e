import { Body, Controller, Get, HttpCode, Param, Post } from '@nestjs/common';
import { RouteConfig } from '@nestjs/platform-fastify';
import { ApiAcceptedResponse, ApiNotFoundResponse, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { ApiValidationResponses, ProblemDto } from '../../common/http/problem.dto';
import { uuidParam } from '../../common/http/uuid-param.pipe';
import { CurrentPrincipal, Roles } from '../auth/auth.decorators';
import type { Principal } from '../auth/principal';
import {
  CreateEventBatchDto,
  EventBatchAcceptedDto,
  EventBatchResponseDto,
} from './dto/shipment-event.dto';
import { EventBatchesService } from './event-batches.service';

/** A 10,000-event feed is larger than the 1 MiB other routes take. */
export const BATCH_BODY_LIMIT_BYTES = 8 * 1024 * 1024;

@ApiTags('shipment-events')
@Controller('shipment-events')
@ApiValidationResponses()
export class EventBatchesController {
  constructor(private readonly batches: EventBatchesService) {}

  /**
   * Up to 10,000 events, each naming its shipment by id or tracking reference. Answers 202
   * with the batch id at once; workers apply the events (in time order per shipment). Poll
   * the batch for counts. Submitting the same events again changes nothing (duplicates).
   */
  @Post('batch')
  @HttpCode(202)
  @RouteConfig({ bodyLimit: BATCH_BODY_LIMIT_BYTES })
  @Roles('operator', 'carrier')
  @ApiAcceptedResponse({ type: EventBatchAcceptedDto })
  submit(
    @Body() dto: CreateEventBatchDto,
    @CurrentPrincipal() principal: Principal,
  ): Promise<EventBatchAcceptedDto> {
    return this.batches.submit(dto.events, principal);
  }

  @Get('batches/:id')
  @Roles('operator', 'coordinator', 'viewer', 'carrier')
  @ApiOkResponse({ type: EventBatchResponseDto })
  @ApiNotFoundResponse({ type: ProblemDto })
  get(
    @Param('id', uuidParam()) id: string,
    @CurrentPrincipal() principal: Principal,
  ): Promise<EventBatchResponseDto> {
    return this.batches.get(id, principal);
  }
}
