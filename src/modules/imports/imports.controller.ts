import {
  Controller,
  Get,
  Header,
  HttpCode,
  Post,
  Query,
  Req,
  Res,
  UseGuards,
} from '@nestjs/common';
import { ApiConsumes, ApiOkResponse, ApiPayloadTooLargeResponse, ApiTags } from '@nestjs/swagger';
import { stringify } from 'csv-stringify/sync';
import type { FastifyReply } from 'fastify';
import { ApiValidationResponses, ProblemDto } from '../../common/http/problem.dto';
import { CurrentPrincipal, Roles } from '../auth/auth.decorators';
import type { Principal } from '../auth/principal';
import { ImportQueryDto, ImportResultDto } from './dto/import.dto';
import { ImportsService } from './imports.service';
import { COLUMNS, EXAMPLE_ROWS } from './request-sheet';
import { templateXlsx } from './sheet-reader';
import { UploadGuard, type UploadRequest } from './upload.guard';

@ApiTags('imports')
@Controller('imports/requests')
@ApiValidationResponses()
export class ImportsController {
  constructor(private readonly imports: ImportsService) {}

  /**
   * Requests from a spreadsheet (XLSX or UTF-8 CSV, field `file`, at most 5 MiB and 20,000
   * rows): one row per request line, rows sharing a `request_ref` forming one request. Every
   * row is checked first; `?dryRun=true` answers every problem (row, column, value, sentence)
   * and writes nothing. Otherwise the whole file is imported in one transaction, or nothing
   * (422 listing every problem). Takes `Idempotency-Key`, which guards this exact file.
   */
  @Post()
  @HttpCode(201)
  @Roles('coordinator')
  @UseGuards(UploadGuard)
  @ApiConsumes('multipart/form-data')
  @ApiOkResponse({ type: ImportResultDto, description: 'A dry run (200 is not used: 201 always)' })
  @ApiPayloadTooLargeResponse({ type: ProblemDto })
  async importRequests(
    @Query() q: ImportQueryDto,
    @Req() request: UploadRequest,
    @CurrentPrincipal() by: Principal,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<ImportResultDto> {
    const result = await this.imports.importRequests(
      request.upload!.content,
      q.dryRun ?? false,
      by,
    );
    if (result.dryRun) reply.status(200);
    return result;
  }

  /** The template as XLSX: the header row (each header's comment says what it takes) and two examples. */
  @Get('template.xlsx')
  @Roles('coordinator', 'operator', 'viewer')
  @Header('content-type', 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet')
  @Header('content-disposition', 'attachment; filename="lifeline-requests-template.xlsx"')
  template(): Promise<Buffer> {
    return templateXlsx(COLUMNS, EXAMPLE_ROWS);
  }

  /** The template as UTF-8 CSV (with a byte-order mark, so Excel reads Arabic right). */
  @Get('template.csv')
  @Roles('coordinator', 'operator', 'viewer')
  @Header('content-type', 'text/csv; charset=utf-8')
  @Header('content-disposition', 'attachment; filename="lifeline-requests-template.csv"')
  templateCsv(): string {
    return stringify([COLUMNS.map((c) => c.header), ...EXAMPLE_ROWS], { bom: true });
  }
}
