import { Body, Controller, Get, Param, Post, Req, Res, UseFilters } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import { IsOptional, IsString, Length } from 'class-validator';
import type { FastifyReply } from 'fastify';
import { uuidParam } from '../../common/http/uuid-param.pipe';
import { AlertStream } from '../alerts/alert-stream.service';
import { AlertsService } from '../alerts/alerts.service';
import { CurrentPrincipal, Roles, SessionAuth } from '../auth/auth.decorators';
import { type Principal, scopeToCarrier } from '../auth/principal';
import { CarriersRepository } from '../carriers/carriers.repository';
import { SlaClocksService } from '../sla/sla-clocks.service';
import { ConsoleExceptionFilter } from './console-exception.filter';
import { type ConsoleRequest, ConsoleView } from './console-view';

const EVERYONE = ['coordinator', 'operator', 'viewer', 'carrier'] as const;
const BOARD_ROWS = 100;

export class AcknowledgeFormDto {
  @IsString()
  _csrf: string;

  @IsOptional()
  @IsString()
  @Length(0, 1000)
  note?: string;
}

/** The board: the promises in danger now, live. */
@ApiExcludeController()
@Controller('console')
@SessionAuth()
@UseFilters(ConsoleExceptionFilter)
export class ConsoleBoardController {
  constructor(
    private readonly clocks: SlaClocksService,
    private readonly alerts: AlertsService,
    private readonly stream: AlertStream,
    private readonly carriers: CarriersRepository,
    private readonly view: ConsoleView,
  ) {}

  @Get()
  @Roles(...EVERYONE)
  async board(
    @CurrentPrincipal() by: Principal,
    @Req() req: ConsoleRequest,
    @Res() reply: FastifyReply,
  ): Promise<FastifyReply> {
    return this.view.page(req, reply, 'board', await this.boardData(by));
  }

  /** The live part of the board, fetched again whenever the stream says something changed. */
  @Get('board/live')
  @Roles(...EVERYONE)
  async live(
    @CurrentPrincipal() by: Principal,
    @Req() req: ConsoleRequest,
    @Res() reply: FastifyReply,
  ): Promise<FastifyReply> {
    return this.view.page(req, reply, 'board-live', await this.boardData(by));
  }

  /**
   * Server-sent events for the board: `change` whenever an alert is raised, acknowledged or
   * resolved (SLA warnings and breaches are alerts, so a clock turning at risk or breaching is
   * one too). The browser reconnects by itself; the page then fetches the board again.
   */
  @Get('stream')
  @Roles(...EVERYONE)
  async events(@CurrentPrincipal() by: Principal, @Res() reply: FastifyReply): Promise<void> {
    reply.hijack();
    await this.stream.serve(reply.raw, {
      filter: scopeToCarrier({}, by),
      retryMs: 3000,
      format: (alert) => `event: change\ndata: ${alert.id}\n\n`,
    });
  }

  @Post('alerts/:id/acknowledge')
  @Roles('coordinator', 'operator')
  async acknowledge(
    @Param('id', uuidParam()) id: string,
    @Body() dto: AcknowledgeFormDto,
    @CurrentPrincipal() by: Principal,
    @Res() reply: FastifyReply,
  ): Promise<FastifyReply> {
    await this.alerts.acknowledge(id, by, dto.note?.trim() || undefined);
    return reply.redirect('/console#alerts', 303);
  }

  private async boardData(by: Principal) {
    const [danger, open, exceptions, carriers] = await Promise.all([
      this.clocks.inDanger(BOARD_ROWS, by),
      this.alerts.list(BOARD_ROWS, { state: 'open' }, by),
      this.alerts.count({ state: 'open', kind: 'shipment_exception' }, by),
      carrierNames(this.carriers),
    ]);
    return {
      clocks: danger.clocks,
      counts: { breaching: danger.breaching, atRisk: danger.atRisk, exceptions },
      alerts: open.data,
      carriers,
      now: new Date(),
    };
  }
}

/** Carrier names by id (a short table, read whole). */
export async function carrierNames(carriers: CarriersRepository): Promise<Map<string, string>> {
  const rows = await carriers.list(1000, {});
  return new Map(rows.map((c) => [c.id, c.name]));
}
