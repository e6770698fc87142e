import { Body, Controller, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import {
  ApiConflictResponse,
  ApiCreatedResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiTags,
  ApiUnprocessableEntityResponse,
} from '@nestjs/swagger';
import { ApiValidationResponses, ProblemDto } from '../../common/http/problem.dto';
import { uuidParam } from '../../common/http/uuid-param.pipe';
import { CurrentPrincipal, Roles } from '../auth/auth.decorators';
import type { Principal } from '../auth/principal';
import {
  CreateRequestDto,
  DecisionDto,
  ListRequestsDto,
  RequestPageDto,
  RequestResponseDto,
} from './dto/request.dto';
import { RequestsService } from './requests.service';

const READERS = ['coordinator', 'operator', 'viewer'] as const;

@ApiTags('requests')
@Controller('requests')
@ApiValidationResponses()
export class RequestsController {
  constructor(private readonly requests: RequestsService) {}

  /** Registers a country's request; its 96-hour clock starts at `receivedAt`. */
  @Post()
  @Roles('coordinator')
  @ApiCreatedResponse({ type: RequestResponseDto })
  @ApiUnprocessableEntityResponse({
    description: 'An item is not in the catalogue',
    type: ProblemDto,
  })
  create(
    @Body() dto: CreateRequestDto,
    @CurrentPrincipal() principal: Principal,
  ): Promise<RequestResponseDto> {
    return this.requests.create(dto, principal);
  }

  /** Newest received first; filter by status, country, priority and received range. */
  @Get()
  @Roles(...READERS)
  @ApiOkResponse({ type: RequestPageDto })
  list(@Query() q: ListRequestsDto): Promise<RequestPageDto> {
    const { limit, cursor, ...filter } = q;
    return this.requests.list(limit, filter, cursor);
  }

  @Get(':id')
  @Roles(...READERS)
  @ApiOkResponse({ type: RequestResponseDto })
  @ApiNotFoundResponse({ type: ProblemDto })
  get(@Param('id', uuidParam()) id: string): Promise<RequestResponseDto> {
    return this.requests.get(id);
  }

  @Post(':id/approve')
  @HttpCode(200)
  @Roles('coordinator')
  @ApiOkResponse({ type: RequestResponseDto })
  @ApiConflictResponse({ description: 'Not in a status that can be approved', type: ProblemDto })
  approve(
    @Param('id', uuidParam()) id: string,
    @CurrentPrincipal() principal: Principal,
  ): Promise<RequestResponseDto> {
    return this.requests.approve(id, principal);
  }

  @Post(':id/reject')
  @HttpCode(200)
  @Roles('coordinator')
  @ApiOkResponse({ type: RequestResponseDto })
  @ApiConflictResponse({ type: ProblemDto })
  reject(
    @Param('id', uuidParam()) id: string,
    @Body() dto: DecisionDto,
    @CurrentPrincipal() principal: Principal,
  ): Promise<RequestResponseDto> {
    return this.requests.reject(id, principal, dto.reason);
  }

  @Post(':id/cancel')
  @HttpCode(200)
  @Roles('coordinator')
  @ApiOkResponse({ type: RequestResponseDto })
  @ApiConflictResponse({
    description: 'It has live orders, or is past cancelling',
    type: ProblemDto,
  })
  cancel(
    @Param('id', uuidParam()) id: string,
    @Body() dto: DecisionDto,
    @CurrentPrincipal() principal: Principal,
  ): Promise<RequestResponseDto> {
    return this.requests.cancel(id, principal, dto.reason);
  }
}
