import { Body, Controller, Get, Headers, Param, Patch, Post, Query, Res } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { ApiIfMatch, etagOf } from '../../common/http/etag';
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
import { CarriersService } from './carriers.service';
import {
  CarrierPageDto,
  CarrierResponseDto,
  CreateCarrierDto,
  ListCarriersDto,
  mapCarrier,
  UpdateCarrierDto,
} from './dto/carrier.dto';

@ApiTags('carriers')
@Controller('carriers')
@ApiValidationResponses()
export class CarriersController {
  constructor(private readonly carriers: CarriersService) {}

  @Post()
  @Roles('coordinator')
  @ApiCreatedResponse({ type: CarrierResponseDto })
  @ApiConflictResponse({ description: 'The code is taken', type: ProblemDto })
  async create(
    @Body() dto: CreateCarrierDto,
    @CurrentPrincipal() principal: Principal,
  ): Promise<CarrierResponseDto> {
    return mapCarrier(await this.carriers.create(dto, principal));
  }

  /** Carriers by code; a carrier key sees only its own. */
  @Get()
  @Roles('coordinator', 'operator', 'viewer', 'carrier')
  @ApiOkResponse({ type: CarrierPageDto })
  async list(
    @Query() q: ListCarriersDto,
    @CurrentPrincipal() principal: Principal,
  ): Promise<CarrierPageDto> {
    const page = await this.carriers.list(
      q.limit,
      {
        kind: q.kind,
        mode: q.mode,
        active: q.active === undefined ? undefined : q.active === 'true',
      },
      principal,
      q.cursor,
    );
    return { data: page.data.map(mapCarrier), nextCursor: page.nextCursor };
  }

  @Get(':id')
  @Roles('coordinator', 'operator', 'viewer', 'carrier')
  @ApiOkResponse({ type: CarrierResponseDto })
  @ApiNotFoundResponse({ type: ProblemDto })
  async get(
    @Param('id', uuidParam()) id: string,
    @CurrentPrincipal() principal: Principal,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<CarrierResponseDto> {
    const carrier = await this.carriers.get(id, principal);
    reply.header('etag', etagOf(carrier.version));
    return mapCarrier(carrier);
  }

  /**
   * Renames, changes modes or contact, or deactivates a carrier (no new shipments then).
   * Send the ETag you read as If-Match.
   */
  @Patch(':id')
  @Roles('coordinator')
  @ApiIfMatch()
  @ApiOkResponse({ type: CarrierResponseDto })
  @ApiNotFoundResponse({ type: ProblemDto })
  async update(
    @Param('id', uuidParam()) id: string,
    @Body() dto: UpdateCarrierDto,
    @Headers('if-match') ifMatch: string | undefined,
    @CurrentPrincipal() principal: Principal,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<CarrierResponseDto> {
    const carrier = await this.carriers.update(id, dto, ifMatch, principal);
    reply.header('etag', etagOf(carrier.version));
    return mapCarrier(carrier);
  }
}
