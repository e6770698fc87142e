import {
  EXPORT_PAGE,
  type ExportColumn,
  exportFormat,
  streamExport,
} from '../../common/http/list-export';
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

const ALERT_COLUMNS: ExportColumn<AlertResponseDto>[] = [
  { header: 'reference', value: (a) => a.reference },
  { header: 'kind', value: (a) => a.kind },
  { header: 'state', value: (a) => a.state },
  { header: 'severity', value: (a) => a.severity },
  { header: 'title', value: (a) => a.title },
  { header: 'country', value: (a) => a.country },
  { header: 'carrierId', value: (a) => a.carrierId },
  { header: 'causeAt', value: (a) => new Date(a.causeAt).toISOString() },
  { header: 'raisedAt', value: (a) => new Date(a.raisedAt).toISOString() },
  {
    header: 'acknowledgedAt',
    value: (a) => a.acknowledgedAt && new Date(a.acknowledgedAt).toISOString(),
  },
  { header: 'resolvedAt', value: (a) => a.resolvedAt && new Date(a.resolvedAt).toISOString() },
  { header: 'resolution', value: (a) => a.resolution },
  { header: 'id', value: (a) => a.id },
];

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
    await this.stream.serve(reply.raw, {
      filter: scopeToCarrier(filter, by),
      after,
      retryMs: 5000,
      headers: { 'x-request-id': String(reply.request.id) },
      format: (alert) =>
        `id: ${streamId(alert)}\nevent: alert\ndata: ${JSON.stringify(mapAlert(alert))}\n\n`,
    });
  }

  /** The list, with the same filters and scope, as CSV or XLSX (`export.csv`, `export.xlsx`), streamed. */
  @Get('export.:format')
  @Roles('coordinator', 'operator', 'viewer', 'carrier')
  @ApiOkResponse({ description: 'text/csv or an XLSX workbook' })
  async export(
    @Param('format') format: string,
    @Query() q: ListAlertsDto,
    @CurrentPrincipal() by: Principal,
    @Res() reply: FastifyReply,
  ): Promise<void> {
    const { limit: _limit, cursor: _cursor, ...filter } = q;
    await streamExport(reply, exportFormat(format), 'alerts', ALERT_COLUMNS, (cursor) =>
      this.alerts.list(EXPORT_PAGE, filter, by, cursor),
    );
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
