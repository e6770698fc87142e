import { Injectable, Logger } from '@nestjs/common';
import { ReportRollupsRepository } from './report-rollups.repository';

const BATCH = 2_000;

/**
 * Keeps the report rollups up to date: the `refresh-report-rollups` job runs this every second
 * (and any process may), turning the subjects the triggers marked changed into facts and
 * coverage cells. Recomputing is idempotent, so a job run twice or killed mid-way (its
 * transaction rolled back, its marks kept) leaves the same rollups.
 */
@Injectable()
export class ReportRollupsService {
  private readonly logger = new Logger(ReportRollupsService.name);

  constructor(private readonly rollups: ReportRollupsRepository) {}

  async refresh(): Promise<number> {
    let done = 0;
    for (;;) {
      const taken = await this.rollups.refreshDirty(BATCH);
      done += taken;
      if (taken < BATCH) break;
    }
    if (done > 0) this.logger.debug(`Report rollups refreshed for ${done} changes`);
    return done;
  }
}
