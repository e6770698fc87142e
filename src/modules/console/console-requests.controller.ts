import { Controller, Get, Param, Query, Req, Res, UseFilters } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { uuidParam } from '../../common/http/uuid-param.pipe';
import { PRIORITIES, REQUEST_STATUSES } from '../../common/vocabulary/request-vocabulary';
import { CurrentPrincipal, Roles, SessionAuth } from '../auth/auth.decorators';
import type { Principal } from '../auth/principal';
import { CarriersRepository } from '../carriers/carriers.repository';
import { OrdersService } from '../orders/orders.service';
import { ListRequestsDto } from '../requests/dto/request.dto';
import { RequestsService } from '../requests/requests.service';
import { ShipmentsService } from '../shipments/shipments.service';
import { carrierNames } from './console-board.controller';
import { ConsoleExceptionFilter } from './console-exception.filter';
import { type ConsoleRequest, ConsoleView } from './console-view';

const READERS = ['coordinator', 'operator', 'viewer'] as const;
const PAGE = 25;

/** Requests: a filtered list, and one request with its lines, clocks, orders and shipments. */
@ApiExcludeController()
@Controller('console/requests')
@SessionAuth()
@UseFilters(ConsoleExceptionFilter)
export class ConsoleRequestsController {
  constructor(
    private readonly requests: RequestsService,
    private readonly orders: OrdersService,
    private readonly shipments: ShipmentsService,
    private readonly carriers: CarriersRepository,
    private readonly view: ConsoleView,
  ) {}

  @Get()
  @Roles(...READERS)
  async list(
    @Query() q: ListRequestsDto,
    @Req() req: ConsoleRequest,
    @Res() reply: FastifyReply,
  ): Promise<FastifyReply> {
    const { limit: _limit, cursor, ...filter } = q;
    const page = await this.requests.list(PAGE, filter, cursor);
    return this.view.page(req, reply, 'requests', {
      page,
      filter,
      statuses: REQUEST_STATUSES,
      priorities: PRIORITIES,
      query: new URLSearchParams(filter as Record<string, string>).toString(),
    });
  }

  @Get(':id')
  @Roles(...READERS)
  async one(
    @Param('id', uuidParam()) id: string,
    @CurrentPrincipal() by: Principal,
    @Req() req: ConsoleRequest,
    @Res() reply: FastifyReply,
  ): Promise<FastifyReply> {
    const request = await this.requests.get(id);
    const [orders, shipments, carriers] = await Promise.all([
      this.orders.list(100, { requestId: id }),
      this.shipments.list(100, { requestId: id }, by),
      carrierNames(this.carriers),
    ]);
    return this.view.page(req, reply, 'request', {
      request,
      orders: orders.data,
      shipments: shipments.data,
      carriers,
    });
  }
}
