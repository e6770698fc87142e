import { Module } from '@nestjs/common';
import { MailService } from './mail.service';
import { NotificationRulesController } from './notification-rules.controller';
import { NotificationRulesService } from './notification-rules.service';
import { NotificationsProcessor } from './notifications.processor';
import { NotificationsRepository } from './notifications.repository';
import { NotificationsService } from './notifications.service';

@Module({
  controllers: [NotificationRulesController],
  providers: [
    NotificationsRepository,
    NotificationsService,
    NotificationRulesService,
    MailService,
    NotificationsProcessor,
  ],
  exports: [NotificationRulesService, NotificationsService],
})
export class NotificationsModule {}
