/** FHIR request-priority. */
export const PRIORITIES = ['routine', 'urgent', 'asap', 'stat'] as const;
export type Priority = (typeof PRIORITIES)[number];

export const REQUEST_KINDS = ['donation', 'procurement'] as const;
export type RequestKind = (typeof REQUEST_KINDS)[number];

export const REQUEST_STATUSES = [
  'received',
  'approved',
  'in_fulfilment',
  'dispatched',
  'delivered',
  'rejected',
  'cancelled',
] as const;
export type RequestStatus = (typeof REQUEST_STATUSES)[number];
