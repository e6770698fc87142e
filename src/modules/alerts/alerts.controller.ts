import { Body, Controller, Get, Headers, HttpCode, Param, Post, Query, Res } from '@nestjs/common';
import { ApiNotFoundResponse, ApiOkResponse, ApiProduces, ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { fieldError } from '../../common/errors/domain-error';
import { ApiValidationResponses, ProblemDto } from '../../common/http/problem.dto';
import { uuidParam } from '../../common/http/uuid-param.pipe';
import { CurrentPrincipal, Roles } from '../auth/auth.decorators';
import { AlertStream, parseStreamId, streamId } from './alert-stream.service';
import { scopeToCarrier, type Principal } from '../auth/principal';
import { AlertsService } from './alerts.service';
import {
  AcknowledgeAlertDto,
  AlertFilterDto,
  AlertPageDto,
  AlertResponseDto,
  ListAlertsDto,
  mapAlert,
} from './dto/alert.dto';

const HEARTBEAT_MS = 15_000;

@ApiTags('alerts')
@Controller('alerts')
@ApiValidationResponses()
export class AlertsController {
  constructor(
    private readonly alerts: AlertsService,
    private readonly stream: AlertStream,
  ) {}

  /** Alerts, newest first; a carrier key sees its own carrier's. */
  @Get()
  @Roles('coordinator', 'operator', 'viewer', 'carrier')
  @ApiOkResponse({ type: AlertPageDto })
  list(@Query() q: ListAlertsDto, @CurrentPrincipal() by: Principal): Promise<AlertPageDto> {
    const { limit, cursor, ...filter } = q;
    return this.alerts.list(limit, filter, by, cursor);
  }

  /**
   * New alerts as Server-Sent Events (`event: alert`, `id` = the alert's place in the stream),
   * filtered like the list, in commit order. A client reconnecting with `Last-Event-ID` first gets what it
   * missed. A comment line every 15 s keeps proxies from closing the stream.
   */
  @Get('stream')
  @Roles('coordinator', 'operator', 'viewer', 'carrier')
  @ApiProduces('text/event-stream')
  @ApiOkResponse({ description: 'An endless text/event-stream of alerts' })
  async streamAlerts(
    @Query() filter: AlertFilterDto,
    @Headers('last-event-id') lastEventId: string | undefined,
    @CurrentPrincipal() by: Principal,
    @Res() reply: FastifyReply,
  ): Promise<void> {
    const after = lastEventId === undefined ? undefined : parseStreamId(lastEventId);
    if (lastEventId !== undefined && !after) {
      throw fieldError('Last-Event-ID', 'must be the id of an event this stream sent');
    }
    reply.hijack();
    const raw = reply.raw;
    raw.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache, no-transform',
      connection: 'keep-alive',
      'x-accel-buffering': 'no',
      'x-request-id': String(reply.request.id),
    });
    raw.write('retry: 5000\n\n');
    let closed = false;
    let unsubscribe: (() => void) | undefined;
    const heartbeat = setInterval(() => raw.write(': keep-alive\n\n'), HEARTBEAT_MS);
    raw.on('close', () => {
      closed = true;
      clearInterval(heartbeat);
      unsubscribe?.();
    });
    try {
      unsubscribe = await this.stream.subscribe(
        {
          filter: scopeToCarrier(filter, by),
          send: (alert) => {
            if (!closed) {
              raw.write(
                `id: ${streamId(alert)}\nevent: alert\ndata: ${JSON.stringify(mapAlert(alert))}\n\n`,
              );
            }
          },
          close: () => raw.end(),
        },
        after,
      );
      if (closed) unsubscribe();
    } catch {
      // The database failed us mid-replay: end the stream; the client reconnects and resumes.
      raw.end();
    }
  }

  @Get(':id')
  @Roles('coordinator', 'operator', 'viewer', 'carrier')
  @ApiOkResponse({ type: AlertResponseDto })
  @ApiNotFoundResponse({ type: ProblemDto })
  async get(
    @Param('id', uuidParam()) id: string,
    @CurrentPrincipal() by: Principal,
  ): Promise<AlertResponseDto> {
    return mapAlert(await this.alerts.get(id, by));
  }

  /** Records that an operator has seen the alert and is on it (who, when, an optional note). */
  @Post(':id/acknowledge')
  @HttpCode(200)
  @Roles('coordinator', 'operator')
  @ApiOkResponse({ type: AlertResponseDto })
  @ApiNotFoundResponse({ type: ProblemDto })
  async acknowledge(
    @Param('id', uuidParam()) id: string,
    @Body() dto: AcknowledgeAlertDto,
    @CurrentPrincipal() by: Principal,
  ): Promise<AlertResponseDto> {
    return mapAlert(await this.alerts.acknowledge(id, by, dto.note));
  }
}
