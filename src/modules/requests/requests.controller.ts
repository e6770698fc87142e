import {
  EXPORT_PAGE,
  type ExportColumn,
  exportFormat,
  streamExport,
} from '../../common/http/list-export';
import type { FastifyReply } from 'fastify';
import { Body, Controller, Get, HttpCode, Param, Post, Query, Res } from '@nestjs/common';
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

const REQUEST_COLUMNS: ExportColumn<RequestResponseDto>[] = [
  { header: 'reference', value: (r) => r.reference },
  { header: 'status', value: (r) => r.status },
  { header: 'recipientCountry', value: (r) => r.recipientCountry },
  { header: 'organisation', value: (r) => r.organisation },
  { header: 'destination', value: (r) => r.destination },
  { header: 'priority', value: (r) => r.priority },
  { header: 'kind', value: (r) => r.kind },
  { header: 'receivedAt', value: (r) => r.receivedAt },
  { header: 'neededBy', value: (r) => r.neededBy },
  { header: 'firstDispatchAt', value: (r) => r.firstDispatchAt },
  { header: 'deliveredAt', value: (r) => r.deliveredAt },
  { header: 'lines', value: (r) => r.lines.length },
  { header: 'notes', value: (r) => r.notes },
  { header: 'id', value: (r) => r.id },
];

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

  /**
   * The list, with the same filters, as CSV or XLSX (`export.csv`, `export.xlsx`), streamed:
   * every matching request, one row each.
   */
  @Get('export.:format')
  @Roles(...READERS)
  @ApiOkResponse({ description: 'text/csv or an XLSX workbook' })
  async export(
    @Param('format') format: string,
    @Query() q: ListRequestsDto,
    @Res() reply: FastifyReply,
  ): Promise<void> {
    const { limit: _limit, cursor: _cursor, ...filter } = q;
    await streamExport(reply, exportFormat(format), 'requests', REQUEST_COLUMNS, (cursor) =>
      this.requests.list(EXPORT_PAGE, filter, cursor),
    );
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
