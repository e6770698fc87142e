import { Module } from '@nestjs/common';
import { ReportRollupsRepository } from './report-rollups.repository';
import { ReportRollupsService } from './report-rollups.service';
import { ReportsController } from './reports.controller';
import { ReportsProcessor } from './reports.processor';
import { ReportsService } from './reports.service';

@Module({
  controllers: [ReportsController],
  providers: [ReportRollupsRepository, ReportRollupsService, ReportsService, ReportsProcessor],
  exports: [ReportRollupsService, ReportsService],
})
export class ReportsModule {}
