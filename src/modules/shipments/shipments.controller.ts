import {
  EXPORT_PAGE,
  type ExportColumn,
  exportFormat,
  streamExport,
} from '../../common/http/list-export';
import {
  Body,
  Controller,
  Get,
  Headers,
  HttpCode,
  Param,
  Patch,
  Post,
  Query,
  Res,
} from '@nestjs/common';
import {
  ApiConflictResponse,
  ApiCreatedResponse,
  ApiHeader,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiTags,
  ApiUnprocessableEntityResponse,
} from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { ApiIfMatch, etagOf } from '../../common/http/etag';
import { ApiValidationResponses, ProblemDto } from '../../common/http/problem.dto';
import { uuidParam } from '../../common/http/uuid-param.pipe';
import { CurrentPrincipal, Roles } from '../auth/auth.decorators';
import type { Principal } from '../auth/principal';
import {
  CreateShipmentEventDto,
  ShipmentEventResponseDto,
  VoidEventDto,
} from './dto/shipment-event.dto';
import { ShipmentPageDto, ShipmentResponseDto } from './dto/shipment-response.dto';
import {
  CancelShipmentDto,
  CreateShipmentDto,
  ListShipmentsDto,
  UpdateShipmentDto,
} from './dto/shipment.dto';
import { ShipmentEventsService } from './shipment-events.service';
import { mapEvent } from './shipment-mappers';
import { ShipmentsService } from './shipments.service';

const READERS = ['coordinator', 'operator', 'viewer', 'carrier'] as const;

const SHIPMENT_COLUMNS: ExportColumn<ShipmentResponseDto>[] = [
  { header: 'reference', value: (s) => s.reference },
  { header: 'status', value: (s) => s.status },
  { header: 'carrierId', value: (s) => s.carrierId },
  { header: 'mode', value: (s) => s.mode },
  { header: 'origin', value: (s) => s.origin },
  { header: 'destination', value: (s) => s.destination },
  { header: 'destinationCountry', value: (s) => s.destinationCountry },
  { header: 'trackingReference', value: (s) => s.trackingReference },
  { header: 'plannedDepartureAt', value: (s) => s.plannedDepartureAt },
  { header: 'dispatchedAt', value: (s) => s.dispatchedAt },
  { header: 'estimatedArrivalAt', value: (s) => s.estimatedArrivalAt },
  { header: 'deliveredAt', value: (s) => s.deliveredAt },
  { header: 'lastEventAt', value: (s) => s.lastEventAt },
  { header: 'items', value: (s) => s.items.length },
  { header: 'id', value: (s) => s.id },
];

@ApiTags('shipments')
@Controller('shipments')
@ApiValidationResponses()
export class ShipmentsController {
  constructor(
    private readonly shipments: ShipmentsService,
    private readonly events: ShipmentEventsService,
  ) {}

  /** Plans a shipment of goods from confirmed order lines, each with lot and expiry. */
  @Post()
  @Roles('coordinator')
  @ApiCreatedResponse({ type: ShipmentResponseDto, description: 'ETag carries the version' })
  @ApiConflictResponse({
    description: 'More than an order line has left to ship, or a taken tracking reference',
    type: ProblemDto,
  })
  @ApiUnprocessableEntityResponse({
    description: 'Unknown carrier or order line',
    type: ProblemDto,
  })
  async create(
    @Body() dto: CreateShipmentDto,
    @CurrentPrincipal() principal: Principal,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<ShipmentResponseDto> {
    const shipment = await this.shipments.create(dto, principal);
    reply.header('etag', etagOf(shipment.version));
    return shipment;
  }

  /** Newest first; a carrier key sees its own carrier's shipments only. */
  @Get()
  @Roles(...READERS)
  @ApiOkResponse({ type: ShipmentPageDto })
  list(
    @Query() q: ListShipmentsDto,
    @CurrentPrincipal() principal: Principal,
  ): Promise<ShipmentPageDto> {
    const { limit, cursor, ...filter } = q;
    return this.shipments.list(limit, filter, principal, cursor);
  }

  /** With items, legs and the full status history. */
  /** The list, with the same filters and scope, as CSV or XLSX (`export.csv`, `export.xlsx`), streamed. */
  @Get('export.:format')
  @Roles(...READERS)
  @ApiOkResponse({ description: 'text/csv or an XLSX workbook' })
  async export(
    @Param('format') format: string,
    @Query() q: ListShipmentsDto,
    @CurrentPrincipal() principal: Principal,
    @Res() reply: FastifyReply,
  ): Promise<void> {
    const { limit: _limit, cursor: _cursor, ...filter } = q;
    await streamExport(reply, exportFormat(format), 'shipments', SHIPMENT_COLUMNS, (cursor) =>
      this.shipments.list(EXPORT_PAGE, filter, principal, cursor),
    );
  }

  @Get(':id')
  @Roles(...READERS)
  @ApiOkResponse({ type: ShipmentResponseDto })
  @ApiNotFoundResponse({ type: ProblemDto })
  async get(
    @Param('id', uuidParam()) id: string,
    @CurrentPrincipal() principal: Principal,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<ShipmentResponseDto> {
    const shipment = await this.shipments.get(id, principal);
    reply.header('etag', etagOf(shipment.version));
    return shipment;
  }

  /** Changes planned fields. Send the ETag you read as If-Match. */
  @Patch(':id')
  @Roles('coordinator', 'operator')
  @ApiIfMatch()
  @ApiOkResponse({ type: ShipmentResponseDto })
  @ApiNotFoundResponse({ type: ProblemDto })
  async update(
    @Param('id', uuidParam()) id: string,
    @Body() dto: UpdateShipmentDto,
    @Headers('if-match') ifMatch: string | undefined,
    @CurrentPrincipal() principal: Principal,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<ShipmentResponseDto> {
    const shipment = await this.shipments.update(id, dto, ifMatch, principal);
    reply.header('etag', etagOf(shipment.version));
    return shipment;
  }

  /** Cancels a shipment that has not left; its goods return to their orders. */
  @Post(':id/cancel')
  @HttpCode(200)
  @Roles('coordinator')
  @ApiOkResponse({ type: ShipmentResponseDto })
  @ApiConflictResponse({ description: 'Already dispatched', type: ProblemDto })
  cancel(
    @Param('id', uuidParam()) id: string,
    @Body() dto: CancelShipmentDto,
    @CurrentPrincipal() principal: Principal,
  ): Promise<ShipmentResponseDto> {
    return this.shipments.cancel(id, dto.reason, principal);
  }

  /**
   * Records a status event. An event older than the latest applied one is kept with
   * `applied: false`; one that would move the status backwards, or out of a terminal status,
   * is refused with 409 naming the legal transitions. The same status at the same instant
   * again changes nothing (`outcome: duplicate`).
   */
  @Post(':id/events')
  @Roles('operator', 'coordinator', 'carrier')
  @ApiHeader({ name: 'Idempotency-Key', required: false })
  @ApiCreatedResponse({ type: ShipmentEventResponseDto })
  @ApiConflictResponse({
    description: 'Illegal transition; `allowedTransitions` lists the legal ones',
    type: ProblemDto,
  })
  @ApiNotFoundResponse({ type: ProblemDto })
  async record(
    @Param('id', uuidParam()) id: string,
    @Body() dto: CreateShipmentEventDto,
    @CurrentPrincipal() principal: Principal,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<ShipmentEventResponseDto> {
    const { result, shipment } = await this.events.record(id, dto, principal);
    reply.header('etag', etagOf(shipment.version));
    return {
      ...mapEvent(result.event, result.outcome),
      shipment: { id: shipment.id, status: shipment.status, version: shipment.version },
    };
  }

  /** The shipment's status events, oldest first, voided ones included and marked. */
  @Get(':id/events')
  @Roles(...READERS)
  @ApiOkResponse({ type: [ShipmentEventResponseDto] })
  @ApiNotFoundResponse({ type: ProblemDto })
  async history(
    @Param('id', uuidParam()) id: string,
    @CurrentPrincipal() principal: Principal,
  ): Promise<ShipmentEventResponseDto[]> {
    return (await this.shipments.get(id, principal)).history ?? [];
  }

  /** Voids a mistaken event (it stays in the history, marked); the status is recomputed. */
  @Post(':id/events/:eventId/void')
  @HttpCode(200)
  @Roles('operator', 'coordinator', 'carrier')
  @ApiOkResponse({ type: ShipmentEventResponseDto })
  @ApiConflictResponse({ description: 'Already voided', type: ProblemDto })
  @ApiNotFoundResponse({ type: ProblemDto })
  async void(
    @Param('id', uuidParam()) id: string,
    @Param('eventId', uuidParam('eventId')) eventId: string,
    @Body() dto: VoidEventDto,
    @CurrentPrincipal() principal: Principal,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<ShipmentEventResponseDto> {
    const { event, shipment } = await this.events.void(id, eventId, dto.reason, principal);
    reply.header('etag', etagOf(shipment.version));
    return {
      ...mapEvent(event),
      shipment: { id: shipment.id, status: shipment.status, version: shipment.version },
    };
  }
}
