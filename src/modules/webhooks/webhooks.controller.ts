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
  ApiAcceptedResponse,
  ApiConflictResponse,
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
  CreatedWebhookResponseDto,
  CreateWebhookDto,
  ListDeliveriesDto,
  mapAttempt,
  mapDelivery,
  mapWebhook,
  UpdateWebhookDto,
  WebhookDeliveryDetailDto,
  WebhookDeliveryPageDto,
  WebhookDeliveryResponseDto,
  WebhookPageDto,
  WebhookResponseDto,
} from './dto/webhook.dto';
import { WebhooksService } from './webhooks.service';

@ApiTags('webhooks')
@Controller('webhooks')
@ApiValidationResponses()
export class WebhooksController {
  constructor(private readonly webhooks: WebhooksService) {}

  /**
   * Subscribes a URL to alert events. Messages are signed per Standard Webhooks
   * (`webhook-id`, `webhook-timestamp`, `webhook-signature: v1,<base64 HMAC-SHA256>`) and
   * retried with backoff for about 16 hours. The secret is in this response only.
   */
  @Post()
  @Roles('admin')
  @ApiCreatedResponse({ type: CreatedWebhookResponseDto })
  async create(
    @Body() dto: CreateWebhookDto,
    @CurrentPrincipal() principal: Principal,
  ): Promise<CreatedWebhookResponseDto> {
    const subscription = await this.webhooks.create(dto, principal);
    return { ...mapWebhook(subscription), secret: subscription.secret };
  }

  /** Subscriptions, newest first (never their secrets). */
  @Get()
  @Roles('coordinator')
  @ApiOkResponse({ type: WebhookPageDto })
  async list(@Query() q: PageQueryDto): Promise<WebhookPageDto> {
    const page = await this.webhooks.list(q.limit, q.cursor);
    return { data: page.data.map(mapWebhook), nextCursor: page.nextCursor };
  }

  @Get(':id')
  @Roles('coordinator')
  @ApiOkResponse({ type: WebhookResponseDto })
  @ApiNotFoundResponse({ type: ProblemDto })
  async get(
    @Param('id', uuidParam()) id: string,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<WebhookResponseDto> {
    const subscription = await this.webhooks.get(id);
    reply.header('etag', etagOf(subscription.version));
    return mapWebhook(subscription);
  }

  /**
   * Changes the URL, events or description, or turns the subscription off or back on
   * (`active: true` also clears its failures). Send the ETag you read as If-Match.
   */
  @Patch(':id')
  @Roles('admin')
  @ApiIfMatch()
  @ApiOkResponse({ type: WebhookResponseDto })
  @ApiNotFoundResponse({ type: ProblemDto })
  async update(
    @Param('id', uuidParam()) id: string,
    @Body() dto: UpdateWebhookDto,
    @Headers('if-match') ifMatch: string | undefined,
    @CurrentPrincipal() principal: Principal,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<WebhookResponseDto> {
    const subscription = await this.webhooks.update(id, dto, ifMatch, principal);
    reply.header('etag', etagOf(subscription.version));
    return mapWebhook(subscription);
  }

  /** Deletes the subscription; its pending deliveries are given up. */
  @Delete(':id')
  @HttpCode(204)
  @Roles('admin')
  @ApiNoContentResponse()
  @ApiNotFoundResponse({ type: ProblemDto })
  async remove(
    @Param('id', uuidParam()) id: string,
    @CurrentPrincipal() principal: Principal,
  ): Promise<void> {
    await this.webhooks.remove(id, principal);
  }

  /** Queues a `webhook.test` message to this subscription, whatever events it asked for. */
  @Post(':id/test')
  @HttpCode(202)
  @Roles('admin')
  @ApiAcceptedResponse({ type: WebhookDeliveryResponseDto })
  @ApiNotFoundResponse({ type: ProblemDto })
  @ApiConflictResponse({ description: 'The subscription is disabled', type: ProblemDto })
  async test(@Param('id', uuidParam()) id: string): Promise<WebhookDeliveryResponseDto> {
    return mapDelivery(await this.webhooks.sendTest(id));
  }

  /** The subscription's messages, newest first; filter by state. */
  @Get(':id/deliveries')
  @Roles('coordinator')
  @ApiOkResponse({ type: WebhookDeliveryPageDto })
  @ApiNotFoundResponse({ type: ProblemDto })
  async deliveries(
    @Param('id', uuidParam()) id: string,
    @Query() q: ListDeliveriesDto,
  ): Promise<WebhookDeliveryPageDto> {
    const page = await this.webhooks.deliveries(id, q.limit, q.state, q.cursor);
    return { data: page.data.map(mapDelivery), nextCursor: page.nextCursor };
  }

  /** One message with every attempt made to deliver it. */
  @Get(':id/deliveries/:deliveryId')
  @Roles('coordinator')
  @ApiOkResponse({ type: WebhookDeliveryDetailDto })
  @ApiNotFoundResponse({ type: ProblemDto })
  async delivery(
    @Param('id', uuidParam()) id: string,
    @Param('deliveryId', uuidParam('deliveryId')) deliveryId: string,
  ): Promise<WebhookDeliveryDetailDto> {
    const { delivery, attempts } = await this.webhooks.delivery(id, deliveryId);
    return { ...mapDelivery(delivery), attempts: attempts.map(mapAttempt) };
  }
}
