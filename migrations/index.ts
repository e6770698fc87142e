import { CreateApiKeysAndOutbox1764158400000 } from './1764158400000-CreateApiKeysAndOutbox';
import { CreateSupplyPipeline1764165600000 } from './1764165600000-CreateSupplyPipeline';
import { AddCarrierVersion1764180000000 } from './1764180000000-AddCarrierVersion';
import { CreateSlaAlertsWebhooks1764201600000 } from './1764201600000-CreateSlaAlertsWebhooks';
import { CreateReportRollups1764288000000 } from './1764288000000-CreateReportRollups';
import { AddChangeFeedAndFactLock1764374400000 } from './1764374400000-AddChangeFeedAndFactLock';
import { CreateConsoleSessions1764460800000 } from './1764460800000-CreateConsoleSessions';
import { AddAlertReference1764547200000 } from './1764547200000-AddAlertReference';
import { AddLifecycleWebhooks1764633600000 } from './1764633600000-AddLifecycleWebhooks';
import { CreateNotifications1764720000000 } from './1764720000000-CreateNotifications';
import { AddRequestNotes1764806400000 } from './1764806400000-AddRequestNotes';
import { AddShipmentPhysicalFacts1764892800000 } from './1764892800000-AddShipmentPhysicalFacts';

/** Every migration, in order. Tests load these classes; the app loads the compiled files. */
export const MIGRATIONS = [
  CreateApiKeysAndOutbox1764158400000,
  CreateSupplyPipeline1764165600000,
  AddCarrierVersion1764180000000,
  CreateSlaAlertsWebhooks1764201600000,
  CreateReportRollups1764288000000,
  AddChangeFeedAndFactLock1764374400000,
  CreateConsoleSessions1764460800000,
  AddAlertReference1764547200000,
  AddLifecycleWebhooks1764633600000,
  CreateNotifications1764720000000,
  AddRequestNotes1764806400000,
  AddShipmentPhysicalFacts1764892800000,
];
