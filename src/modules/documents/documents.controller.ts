import { Controller, Get, Headers, Param, Query, Res } from '@nestjs/common';
import { ApiNotFoundResponse, ApiOkResponse, ApiProduces, ApiTags } from '@nestjs/swagger';
import { IsIn, IsOptional } from 'class-validator';
import type { FastifyReply } from 'fastify';
import { DomainError } from '../../common/errors/domain-error';
import { ApiValidationResponses, ProblemDto } from '../../common/http/problem.dto';
import { uuidParam } from '../../common/http/uuid-param.pipe';
import { CurrentPrincipal, Roles } from '../auth/auth.decorators';
import type { Principal } from '../auth/principal';
import { LOCALES, type Locale, pickLocale } from '../console/i18n/i18n';
import { DOCUMENT_KINDS, type DocumentKind, DocumentsService } from './documents.service';

export class DocumentQueryDto {
  /** The document's language (default: Accept-Language, else English). */
  @IsOptional()
  @IsIn(LOCALES)
  lang?: Locale;
}

@ApiTags('shipments')
@Controller('shipments/:id/documents')
@ApiValidationResponses()
export class DocumentsController {
  constructor(private readonly documents: DocumentsService) {}

  /**
   * A shipment's papers as PDF: `waybill.pdf`, `packing-list.pdf` and, for donations,
   * `donation-certificate.pdf`, in English, French or Arabic (`?lang=`), with a QR code of
   * the shipment reference and page numbers.
   */
  @Get(':document')
  @Roles('coordinator', 'operator', 'viewer', 'carrier')
  @ApiProduces('application/pdf')
  @ApiOkResponse({ description: 'The PDF' })
  @ApiNotFoundResponse({ type: ProblemDto })
  async document(
    @Param('id', uuidParam()) id: string,
    @Param('document') document: string,
    @Query() q: DocumentQueryDto,
    @Headers('accept-language') acceptLanguage: string | undefined,
    @CurrentPrincipal() by: Principal,
    @Res() reply: FastifyReply,
  ): Promise<void> {
    const kind = document.replace(/\.pdf$/, '') as DocumentKind;
    if (!document.endsWith('.pdf') || !DOCUMENT_KINDS.includes(kind)) {
      throw new DomainError(
        'not_found',
        `A shipment's documents are ${DOCUMENT_KINDS.map((k) => `${k}.pdf`).join(', ')}.`,
      );
    }
    const locale = q.lang ?? pickLocale(undefined, acceptLanguage);
    const pdf = await this.documents.render(id, kind, locale, by);
    await reply
      .header('content-type', 'application/pdf')
      .header('content-disposition', `inline; filename="${kind}.pdf"`)
      .header('cache-control', 'no-store')
      .send(pdf);
  }
}
