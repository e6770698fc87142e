import { Injectable } from '@nestjs/common';
import { DomainError } from '../../common/errors/domain-error';
import { assertIfMatch } from '../../common/http/etag';
import { decodeCursor, toPage, type Page } from '../../common/http/pagination';
import type { Principal } from '../auth/principal';
import { type CarrierFilter, type CarrierRow, CarriersRepository } from './carriers.repository';
import type { CreateCarrierDto, UpdateCarrierDto } from './dto/carrier.dto';

@Injectable()
export class CarriersService {
  constructor(private readonly carriers: CarriersRepository) {}

  async create(dto: CreateCarrierDto, by: Principal): Promise<CarrierRow> {
    const created = await this.carriers.insert(
      {
        code: dto.code,
        name: dto.name,
        kind: dto.kind,
        modes: dto.modes,
        contact: dto.contact ?? null,
        active: dto.active ?? true,
      },
      by.keyId,
    );
    if (!created)
      throw new DomainError('conflict', `A carrier with code ${dto.code} already exists.`);
    return created;
  }

  /** A carrier key sees only its own carrier; any other is "not found" to it. */
  async get(id: string, by: Principal): Promise<CarrierRow> {
    const carrier =
      by.carrierId && by.carrierId !== id ? undefined : await this.carriers.findById(id);
    if (!carrier) throw new DomainError('not_found', `Carrier ${id} does not exist.`);
    return carrier;
  }

  /** Changes a carrier; If-Match must carry the version last read (412 if stale, 428 if missing). */
  async update(
    id: string,
    dto: UpdateCarrierDto,
    ifMatch: string | undefined,
    by: Principal,
  ): Promise<CarrierRow> {
    const current = await this.carriers.findById(id);
    if (!current) throw new DomainError('not_found', `Carrier ${id} does not exist.`);
    assertIfMatch(ifMatch, current.version);
    const updated = await this.carriers.update(
      id,
      current.version,
      { ...dto, contact: dto.contact ?? undefined },
      by.keyId,
    );
    if (!updated) {
      // Changed between our read and our write: as stale as a wrong If-Match.
      throw new DomainError(
        'precondition_failed',
        `Carrier ${current.code} changed meanwhile: read it again.`,
      );
    }
    return updated;
  }

  async list(
    limit: number,
    filter: CarrierFilter,
    by: Principal,
    cursor?: string,
  ): Promise<Page<CarrierRow>> {
    const after = cursor ? decodeCursor(cursor, ['text'])[0] : undefined;
    const rows = await this.carriers.list(
      limit + 1,
      { ...filter, onlyId: by.carrierId ?? undefined },
      after,
    );
    return toPage(
      rows,
      limit,
      (r) => r,
      (r) => [r.code],
    );
  }
}
