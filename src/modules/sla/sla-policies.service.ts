import { Injectable } from '@nestjs/common';
import { DomainError, fieldError } from '../../common/errors/domain-error';
import { assertIfMatch } from '../../common/http/etag';
import { decodeCursor, toPage, type Page } from '../../common/http/pagination';
import { isCountryCode } from '../reference/locations';
import type { Principal } from '../auth/principal';
import {
  type CreatePolicyDto,
  mapPolicy,
  type PolicyMatchDto,
  type PolicyResponseDto,
  type UpdatePolicyDto,
} from './dto/sla-policy.dto';
import { METRIC_SUBJECT, parseDuration, type SlaMetric } from './sla-clock';
import {
  type PolicyFields,
  type PolicyRow,
  SlaPoliciesRepository,
} from './sla-policies.repository';

const DEFAULT_WARNING_RATIO = 0.75;

@Injectable()
export class SlaPoliciesService {
  constructor(private readonly policies: SlaPoliciesRepository) {}

  async create(dto: CreatePolicyDto, by: Principal): Promise<PolicyRow> {
    return this.policies.insert(
      terms(dto.metric, dto.name, dto.target, dto.warningRatio ?? DEFAULT_WARNING_RATIO, dto.match),
      by.keyId,
    );
  }

  async get(id: string): Promise<PolicyRow> {
    const policy = await this.policies.findById(id);
    if (!policy) throw new DomainError('not_found', `SLA policy ${id} does not exist.`);
    return policy;
  }

  async list(
    limit: number,
    metric: string | undefined,
    cursor?: string,
  ): Promise<Page<PolicyResponseDto>> {
    const after = cursor
      ? (decodeCursor(cursor, ['timestamp', 'uuid']) as [string, string])
      : undefined;
    const rows = await this.policies.list(limit + 1, metric, after);
    return toPage(rows, limit, mapPolicy, (r) => [r.created_at.toISOString(), r.id]);
  }

  /** Changes a policy for the clocks that start from now on; running clocks keep their target. */
  async update(
    id: string,
    dto: UpdatePolicyDto,
    ifMatch: string | undefined,
    by: Principal,
  ): Promise<PolicyRow> {
    const current = await this.get(id);
    assertIfMatch(ifMatch, current.version);
    const match =
      dto.match === undefined
        ? {
            priority: current.match_priority ?? undefined,
            country: current.match_country ?? undefined,
            mode: current.match_mode ?? undefined,
          }
        : dto.match;
    const updated = await this.policies.update(
      id,
      current.version,
      terms(
        current.metric,
        dto.name ?? current.name,
        dto.target ?? current.target,
        dto.warningRatio ?? Number(current.warning_ratio),
        match,
      ),
      by.keyId,
    );
    if (!updated) {
      throw new DomainError(
        'precondition_failed',
        `SLA policy ${current.name} changed meanwhile: read it again.`,
      );
    }
    return updated;
  }

  async archive(id: string, by: Principal): Promise<void> {
    if (!(await this.policies.archive(id, by.keyId))) {
      throw new DomainError('not_found', `SLA policy ${id} does not exist.`);
    }
  }
}

function terms(
  metric: SlaMetric,
  name: string,
  target: string,
  warningRatio: number,
  match: PolicyMatchDto | undefined,
): PolicyFields {
  const targetMs = parseDuration(target);
  if (typeof targetMs !== 'number') throw fieldError('target', targetMs.error);
  if (Math.round(warningRatio * 1000) / 1000 !== warningRatio) {
    throw fieldError('warningRatio', 'must have at most three decimal places');
  }
  if (match?.mode && METRIC_SUBJECT[metric] !== 'shipment') {
    throw fieldError(
      'match.mode',
      `applies to shipment metrics (dispatch_to_delivery), not ${metric}`,
    );
  }
  for (const [i, code] of (match?.country ?? []).entries()) {
    if (!isCountryCode(code))
      throw fieldError(`match.country[${i}]`, `${code} is not an ISO 3166-1 country`);
  }
  return {
    name,
    metric,
    target,
    targetMs,
    warningRatio,
    match: {
      priority: match?.priority ?? null,
      country: match?.country ?? null,
      mode: match?.mode ?? null,
    },
  };
}
