import { Body, Controller, Get, Param, Post, Query, Req, Res, UseFilters } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsIn, IsOptional, IsString, Length, Matches } from 'class-validator';
import type { FastifyReply } from 'fastify';
import { DomainError } from '../../common/errors/domain-error';
import { uuidParam } from '../../common/http/uuid-param.pipe';
import { AlertsService } from '../alerts/alerts.service';
import { CurrentPrincipal, Roles, SessionAuth } from '../auth/auth.decorators';
import type { Principal } from '../auth/principal';
import { CarriersRepository } from '../carriers/carriers.repository';
import { ListShipmentsDto } from '../shipments/dto/shipment.dto';
import { ShipmentEventsService } from '../shipments/shipment-events.service';
import {
  allowedTransitions,
  SHIPMENT_STATUSES,
  type ShipmentStatus,
  type ProgressStatus,
} from '../shipments/shipment-status';
import { EXCEPTION_REASONS, type ExceptionReason } from '../shipments/shipment-vocabulary';
import { ShipmentsService } from '../shipments/shipments.service';
import { carrierNames } from './console-board.controller';
import { ConsoleExceptionFilter } from './console-exception.filter';
import { type ConsoleRequest, ConsoleView } from './console-view';

const EVERYONE = ['coordinator', 'operator', 'viewer', 'carrier'] as const;
const PAGE = 25;
const blankToUndefined = ({ value }: { value: unknown }) =>
  typeof value === 'string' && value.trim() === '' ? undefined : value;

/** The event form: a `datetime-local` value is read as UTC (the form says so). */
export class EventFormDto {
  @IsString()
  _csrf: string;

  @IsIn(SHIPMENT_STATUSES)
  status: ShipmentStatus;

  @Matches(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2})?$/, {
    message: 'occurredAt must be a date and time (YYYY-MM-DDTHH:MM)',
  })
  occurredAt: string;

  @Transform(blankToUndefined)
  @IsOptional()
  @IsString()
  @Length(3, 5)
  location?: string;

  @Transform(blankToUndefined)
  @IsOptional()
  @IsIn(EXCEPTION_REASONS)
  exceptionReason?: ExceptionReason;

  @Transform(blankToUndefined)
  @IsOptional()
  @IsString()
  @Length(0, 2000)
  notes?: string;
}

export class ShipmentPageQueryDto {
  @IsOptional()
  @IsIn(SHIPMENT_STATUSES)
  recorded?: string;

  @IsOptional()
  @IsIn(['applied', 'late', 'conflicting', 'duplicate'])
  outcome?: string;
}

/** Shipments: a filtered list, one shipment's page, and recording an event from its form. */
@ApiExcludeController()
@Controller('console/shipments')
@SessionAuth()
@UseFilters(ConsoleExceptionFilter)
export class ConsoleShipmentsController {
  constructor(
    private readonly shipments: ShipmentsService,
    private readonly events: ShipmentEventsService,
    private readonly alerts: AlertsService,
    private readonly carriers: CarriersRepository,
    private readonly view: ConsoleView,
  ) {}

  @Get()
  @Roles(...EVERYONE)
  async list(
    @Query() q: ListShipmentsDto,
    @CurrentPrincipal() by: Principal,
    @Req() req: ConsoleRequest,
    @Res() reply: FastifyReply,
  ): Promise<FastifyReply> {
    const { limit: _limit, cursor, ...filter } = q;
    const [page, carriers] = await Promise.all([
      this.shipments.list(PAGE, filter, by, cursor),
      carrierNames(this.carriers),
    ]);
    return this.view.page(req, reply, 'shipments', {
      page,
      filter,
      carriers,
      statuses: SHIPMENT_STATUSES,
      query: new URLSearchParams(filter as Record<string, string>).toString(),
    });
  }

  @Get(':id')
  @Roles(...EVERYONE)
  async one(
    @Param('id', uuidParam()) id: string,
    @Query() q: ShipmentPageQueryDto,
    @CurrentPrincipal() by: Principal,
    @Req() req: ConsoleRequest,
    @Res() reply: FastifyReply,
  ): Promise<FastifyReply> {
    return this.view.page(req, reply, 'shipment', {
      ...(await this.shipmentData(id, by)),
      recorded: q.recorded ? { status: q.recorded, outcome: q.outcome ?? 'applied' } : null,
    });
  }

  /** Records an event as POST /api/v1/shipments/{id}/events does; a refusal is a sentence. */
  @Post(':id/events')
  @Roles('operator', 'coordinator', 'carrier')
  async record(
    @Param('id', uuidParam()) id: string,
    @Body() form: EventFormDto,
    @CurrentPrincipal() by: Principal,
    @Req() req: ConsoleRequest,
    @Res() reply: FastifyReply,
  ): Promise<FastifyReply> {
    const occurredAt = new Date(`${form.occurredAt}Z`);
    try {
      if (Number.isNaN(occurredAt.getTime())) {
        throw new DomainError('validation_failed', 'occurredAt: not a valid date and time');
      }
      const { result } = await this.events.record(
        id,
        {
          status: form.status,
          occurredAt,
          location: form.location?.toUpperCase(),
          exceptionReason: form.exceptionReason,
          notes: form.notes,
        },
        by,
      );
      return reply.redirect(
        `/console/shipments/${id}?recorded=${form.status}&outcome=${result.outcome}`,
        303,
      );
    } catch (error) {
      if (
        !(error instanceof DomainError) ||
        !['conflict', 'validation_failed', 'unprocessable'].includes(error.code)
      ) {
        throw error;
      }
      const data = await this.shipmentData(id, by);
      return this.view.page(
        req,
        reply,
        'shipment',
        {
          ...data,
          refusal: {
            code: error.code,
            message: error.message,
            next: form.status,
            current: (error.details.currentStatus as string | undefined) ?? data.shipment.status,
            allowed: (error.details.allowedTransitions as string[] | undefined) ?? data.legal,
          },
          form,
        },
        error.code === 'conflict' ? 409 : error.code === 'unprocessable' ? 422 : 400,
      );
    }
  }

  private async shipmentData(id: string, by: Principal) {
    const shipment = await this.shipments.get(id, by);
    const [alerts, carriers] = await Promise.all([
      this.alerts.list(100, { shipmentId: id }, by),
      carrierNames(this.carriers),
    ]);
    const legal = allowedTransitions({
      status: shipment.status as ShipmentStatus,
      resumeStatus: shipment.resumeStatus as ProgressStatus | null,
    });
    return {
      shipment,
      alerts: alerts.data,
      carriers,
      legal,
      others: SHIPMENT_STATUSES.filter((s) => !legal.includes(s) && s !== shipment.status),
      reasons: EXCEPTION_REASONS,
    };
  }
}
