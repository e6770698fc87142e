import { Controller, Get, Req, Res, UseFilters } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { Env } from '../../config/env';
import { Roles, SessionAuth } from '../auth/auth.decorators';
import { CarriersRepository } from '../carriers/carriers.repository';
import { NotificationRulesService } from '../notifications/notification-rules.service';
import { carrierNames } from './console-board.controller';
import { ConsoleExceptionFilter } from './console-exception.filter';
import { type ConsoleRequest, ConsoleView } from './console-view';

const RULES = 100;
const MESSAGES = 50;

/** Email rules and the messages they sent lately: who is told what, and whether it arrived. */
@ApiExcludeController()
@Controller('console/notifications')
@SessionAuth()
@UseFilters(ConsoleExceptionFilter)
export class ConsoleNotificationsController {
  constructor(
    private readonly rules: NotificationRulesService,
    private readonly carriers: CarriersRepository,
    private readonly view: ConsoleView,
    private readonly env: Env,
  ) {}

  @Get()
  @Roles('coordinator')
  async page(@Req() req: ConsoleRequest, @Res() reply: FastifyReply): Promise<FastifyReply> {
    const [rules, messages, carriers] = await Promise.all([
      this.rules.list(RULES),
      this.rules.recent(MESSAGES),
      carrierNames(this.carriers),
    ]);
    return this.view.page(req, reply, 'notifications', {
      rules: rules.data,
      messages,
      carriers,
      emailOn: Boolean(this.env.SMTP_URL),
    });
  }
}
