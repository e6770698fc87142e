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
import { ApiValidationResponses, ProblemDto } from '../../common/http/problem.dto';
import { uuidParam } from '../../common/http/uuid-param.pipe';
import { CurrentPrincipal, Roles } from '../auth/auth.decorators';
import type { Principal } from '../auth/principal';
import { ClockPageDto, ClockResponseDto, ListClocksDto } from './dto/sla-clock.dto';
import {
  CreatePolicyDto,
  ListPoliciesDto,
  mapPolicy,
  PolicyPageDto,
  PolicyResponseDto,
  UpdatePolicyDto,
} from './dto/sla-policy.dto';
import { SlaClocksService } from './sla-clocks.service';
import { SlaPoliciesService } from './sla-policies.service';

@ApiTags('sla')
@Controller('sla/policies')
@ApiValidationResponses()
export class SlaPoliciesController {
  constructor(private readonly policies: SlaPoliciesService) {}

  /**
   * A policy for one metric: its target (ISO 8601 duration), warning ratio and what it covers.
   * For each metric the most specific matching policy applies (most match fields, then the
   * newest); it applies to clocks that start after it exists.
   */
  @Post()
  @Roles('coordinator')
  @ApiCreatedResponse({ type: PolicyResponseDto })
  async create(
    @Body() dto: CreatePolicyDto,
    @CurrentPrincipal() by: Principal,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<PolicyResponseDto> {
    const policy = await this.policies.create(dto, by);
    reply.header('etag', etagOf(policy.version));
    return mapPolicy(policy);
  }

  @Get()
  @Roles('coordinator', 'operator', 'viewer')
  @ApiOkResponse({ type: PolicyPageDto })
  list(@Query() q: ListPoliciesDto): Promise<PolicyPageDto> {
    return this.policies.list(q.limit, q.metric, q.cursor);
  }

  @Get(':id')
  @Roles('coordinator', 'operator', 'viewer')
  @ApiOkResponse({ type: PolicyResponseDto })
  @ApiNotFoundResponse({ type: ProblemDto })
  async get(
    @Param('id', uuidParam()) id: string,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<PolicyResponseDto> {
    const policy = await this.policies.get(id);
    reply.header('etag', etagOf(policy.version));
    return mapPolicy(policy);
  }

  /** Changes the terms for clocks started from now on. Send the ETag you read as If-Match. */
  @Patch(':id')
  @Roles('coordinator')
  @ApiIfMatch()
  @ApiOkResponse({ type: PolicyResponseDto })
  @ApiNotFoundResponse({ type: ProblemDto })
  async update(
    @Param('id', uuidParam()) id: string,
    @Body() dto: UpdatePolicyDto,
    @Headers('if-match') ifMatch: string | undefined,
    @CurrentPrincipal() by: Principal,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<PolicyResponseDto> {
    const policy = await this.policies.update(id, dto, ifMatch, by);
    reply.header('etag', etagOf(policy.version));
    return mapPolicy(policy);
  }

  /** Archives the policy: no new clock starts under it; running clocks keep their target. */
  @Delete(':id')
  @HttpCode(204)
  @Roles('coordinator')
  @ApiNoContentResponse()
  @ApiNotFoundResponse({ type: ProblemDto })
  archive(@Param('id', uuidParam()) id: string, @CurrentPrincipal() by: Principal): Promise<void> {
    return this.policies.archive(id, by);
  }
}

@ApiTags('sla')
@Controller('sla/clocks')
@ApiValidationResponses()
export class SlaClocksController {
  constructor(private readonly clocks: SlaClocksService) {}

  /** Clocks, newest first, with their figures now; a carrier key sees its shipments' clocks. */
  @Get()
  @Roles('coordinator', 'operator', 'viewer', 'carrier')
  @ApiOkResponse({ type: ClockPageDto })
  list(@Query() q: ListClocksDto, @CurrentPrincipal() by: Principal): Promise<ClockPageDto> {
    const { limit, cursor, ...filter } = q;
    return this.clocks.list(limit, filter, by, cursor);
  }

  @Get(':id')
  @Roles('coordinator', 'operator', 'viewer', 'carrier')
  @ApiOkResponse({ type: ClockResponseDto })
  @ApiNotFoundResponse({ type: ProblemDto })
  get(
    @Param('id', uuidParam()) id: string,
    @CurrentPrincipal() by: Principal,
  ): Promise<ClockResponseDto> {
    return this.clocks.get(id, by);
  }
}
