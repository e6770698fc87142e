import { Body, Controller, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import {
  ApiConflictResponse,
  ApiCreatedResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiTags,
} from '@nestjs/swagger';
import { ApiValidationResponses, ProblemDto } from '../../common/http/problem.dto';
import { uuidParam } from '../../common/http/uuid-param.pipe';
import { CurrentPrincipal, Roles } from '../auth/auth.decorators';
import type { Principal } from '../auth/principal';
import { CreateOrderDto, ListOrdersDto, OrderPageDto, OrderResponseDto } from './dto/order.dto';
import { OrdersService } from './orders.service';

const READERS = ['coordinator', 'operator', 'viewer'] as const;

@ApiTags('orders')
@Controller('orders')
@ApiValidationResponses()
export class OrdersController {
  constructor(private readonly orders: OrdersService) {}

  /** Allocates goods against an approved request's lines. */
  @Post()
  @Roles('coordinator')
  @ApiCreatedResponse({ type: OrderResponseDto })
  @ApiConflictResponse({ description: 'More than the request line still needs', type: ProblemDto })
  create(
    @Body() dto: CreateOrderDto,
    @CurrentPrincipal() principal: Principal,
  ): Promise<OrderResponseDto> {
    return this.orders.create(dto, principal);
  }

  @Get()
  @Roles(...READERS)
  @ApiOkResponse({ type: OrderPageDto })
  list(@Query() q: ListOrdersDto): Promise<OrderPageDto> {
    return this.orders.list(q.limit, { requestId: q.requestId, status: q.status }, q.cursor);
  }

  @Get(':id')
  @Roles(...READERS)
  @ApiOkResponse({ type: OrderResponseDto })
  @ApiNotFoundResponse({ type: ProblemDto })
  get(@Param('id', uuidParam()) id: string): Promise<OrderResponseDto> {
    return this.orders.get(id);
  }

  @Post(':id/confirm')
  @HttpCode(200)
  @Roles('coordinator')
  @ApiOkResponse({ type: OrderResponseDto })
  @ApiConflictResponse({ type: ProblemDto })
  confirm(
    @Param('id', uuidParam()) id: string,
    @CurrentPrincipal() principal: Principal,
  ): Promise<OrderResponseDto> {
    return this.orders.confirm(id, principal);
  }

  @Post(':id/ready')
  @HttpCode(200)
  @Roles('coordinator')
  @ApiOkResponse({ type: OrderResponseDto })
  @ApiConflictResponse({ type: ProblemDto })
  ready(
    @Param('id', uuidParam()) id: string,
    @CurrentPrincipal() principal: Principal,
  ): Promise<OrderResponseDto> {
    return this.orders.ready(id, principal);
  }

  @Post(':id/cancel')
  @HttpCode(200)
  @Roles('coordinator')
  @ApiOkResponse({ type: OrderResponseDto })
  @ApiConflictResponse({ description: 'A live shipment carries it', type: ProblemDto })
  cancel(
    @Param('id', uuidParam()) id: string,
    @CurrentPrincipal() principal: Principal,
  ): Promise<OrderResponseDto> {
    return this.orders.cancel(id, principal);
  }
}
