import {
  Body,
  Controller,
  Delete,
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
  ApiCreatedResponse,
  ApiNoContentResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiTags,
} from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { ApiIfMatch, etagOf } from '../../common/http/etag';
import { PageQueryDto } from '../../common/http/pagination';
import { ApiValidationResponses, ProblemDto } from '../../common/http/problem.dto';
import { uuidParam } from '../../common/http/uuid-param.pipe';
import { CurrentPrincipal, Roles } from '../auth/auth.decorators';
import type { Principal } from '../auth/principal';
import {
  CreateNotificationRuleDto,
  ListMessagesDto,
  mapMessage,
  mapRule,
  NotificationMessagePageDto,
  NotificationRulePageDto,
  NotificationRuleResponseDto,
  UpdateNotificationRuleDto,
} from './dto/notification-rule.dto';
import { NotificationRulesService } from './notification-rules.service';

@ApiTags('notification-rules')
@Controller('notification-rules')
@ApiValidationResponses()
export class NotificationRulesController {
  constructor(private readonly rules: NotificationRulesService) {}

  /**
   * Sends alerts of these kinds, in this scope, to these addresses by email: one message per
   * alert and address, a follow-up in the same thread when it is resolved, an escalation to
   * `escalateTo` when nobody acknowledged it within `escalateAfter`, and a daily digest at
   * `digestAt` (UTC). Without SMTP_URL rules are kept but nothing is sent (see /health/ready).
   */
  @Post()
  @Roles('coordinator')
  @ApiCreatedResponse({ type: NotificationRuleResponseDto })
  async create(
    @Body() dto: CreateNotificationRuleDto,
    @CurrentPrincipal() principal: Principal,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<NotificationRuleResponseDto> {
    const rule = await this.rules.create(dto, principal);
    reply.header('etag', etagOf(rule.version));
    return mapRule(rule);
  }

  /** Rules, newest first. */
  @Get()
  @Roles('coordinator')
  @ApiOkResponse({ type: NotificationRulePageDto })
  async list(@Query() q: PageQueryDto): Promise<NotificationRulePageDto> {
    const page = await this.rules.list(q.limit, q.cursor);
    return { data: page.data.map(mapRule), nextCursor: page.nextCursor };
  }

  @Get(':id')
  @Roles('coordinator')
  @ApiOkResponse({ type: NotificationRuleResponseDto })
  @ApiNotFoundResponse({ type: ProblemDto })
  async get(
    @Param('id', uuidParam()) id: string,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<NotificationRuleResponseDto> {
    const rule = await this.rules.get(id);
    reply.header('etag', etagOf(rule.version));
    return mapRule(rule);
  }

  /** Changes any of the rule's fields (`null` clears an optional one). Send If-Match. */
  @Patch(':id')
  @Roles('coordinator')
  @ApiIfMatch()
  @ApiOkResponse({ type: NotificationRuleResponseDto })
  @ApiNotFoundResponse({ type: ProblemDto })
  async update(
    @Param('id', uuidParam()) id: string,
    @Body() dto: UpdateNotificationRuleDto,
    @Headers('if-match') ifMatch: string | undefined,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<NotificationRuleResponseDto> {
    const rule = await this.rules.update(id, dto, ifMatch);
    reply.header('etag', etagOf(rule.version));
    return mapRule(rule);
  }

  /** Deletes the rule; its unsent messages are given up. */
  @Delete(':id')
  @HttpCode(204)
  @Roles('coordinator')
  @ApiNoContentResponse()
  @ApiNotFoundResponse({ type: ProblemDto })
  async remove(@Param('id', uuidParam()) id: string): Promise<void> {
    await this.rules.remove(id);
  }

  /** The rule's messages, newest first, each with every attempt to send it. */
  @Get(':id/deliveries')
  @Roles('coordinator')
  @ApiOkResponse({ type: NotificationMessagePageDto })
  @ApiNotFoundResponse({ type: ProblemDto })
  async deliveries(
    @Param('id', uuidParam()) id: string,
    @Query() q: ListMessagesDto,
  ): Promise<NotificationMessagePageDto> {
    const page = await this.rules.messages(id, q.limit, q.state, q.cursor);
    return {
      data: page.data.map((m) => mapMessage(m.message, m.attempts)),
      nextCursor: page.nextCursor,
    };
  }
}
