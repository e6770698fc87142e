import { ClockResponseDto } from '../../sla/dto/sla-clock.dto';
import { ApiProperty } from '@nestjs/swagger';
import { TRANSPORT_MODES } from '../../../common/vocabulary/carrier-vocabulary';
import { SHIPMENT_STATUSES } from '../shipment-status';
import { ShipmentEventResponseDto } from './shipment-event.dto';

export class ShipmentItemResponseDto {
  id: string;
  orderLineId: string;
  orderId: string;
  requestId: string;
  itemCode: string;
  quantity: number;
  lot: string;
  /** @example "2023-03-01" */
  expiresOn: string;
  /** Expires within the item's minimum shelf life of the planned departure. */
  shortShelfLife: boolean;
  /** Proof of delivery, once delivered. */
  receivedGood: number | null;
  damaged: number | null;
  missing: number | null;
}

export class LegTimesResponseDto {
  planned: string | null;
  estimated: string | null;
  actual: string | null;
}

export class LegResponseDto {
  seq: number;
  @ApiProperty({ enum: TRANSPORT_MODES })
  mode: string;
  carrierId: string | null;
  from: string;
  to: string;
  departure: LegTimesResponseDto;
  arrival: LegTimesResponseDto;
}

export class ShipmentResponseDto {
  id: string;
  /** @example "SHP-000042" */
  reference: string;
  carrierId: string;
  @ApiProperty({ enum: TRANSPORT_MODES })
  mode: string;
  origin: string;
  destination: string;
  destinationCountry: string | null;
  trackingReference: string;
  @ApiProperty({ enum: SHIPMENT_STATUSES })
  status: string;
  /** While in exception or on hold: the status it left. */
  resumeStatus: string | null;
  /** When the latest applied event occurred. */
  lastEventAt: string | null;
  /** When the goods left (the earliest event that implies it). */
  dispatchedAt: string | null;
  deliveredAt: string | null;
  plannedDepartureAt: string | null;
  estimatedArrivalAt: string | null;
  notes: string | null;
  packages: number | null;
  packageMarks: string[];
  grossWeightKg: number | null;
  volumeM3: number | null;
  declaredValue: { amount: number; currency: string } | null;
  /** Also in the ETag header; send it as If-Match to PATCH. */
  version: number;
  createdAt: string;
  createdBy: string;
  updatedAt: string;
  updatedBy: string;
  items: ShipmentItemResponseDto[];
  legs: LegResponseDto[];
  /** Its SLA clock (dispatch to delivery) with its figures now, once dispatched. */
  @ApiProperty({ type: [ClockResponseDto] })
  slaClocks: ClockResponseDto[];
  /** The status events, oldest first (on GET one shipment). */
  history?: ShipmentEventResponseDto[];
}

export class ShipmentPageDto {
  data: ShipmentResponseDto[];
  nextCursor: string | null;
}
