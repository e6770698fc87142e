export const ITEM_CATEGORIES = [
  'ppe',
  'diagnostics',
  'respiratory',
  'monitoring',
  'medicines',
  'vaccines',
  'equipment',
  'consumables',
] as const;
export type ItemCategory = (typeof ITEM_CATEGORIES)[number];

export const ITEM_UNITS = ['piece', 'box', 'kit', 'pack', 'vial', 'dose', 'pallet'] as const;
export type ItemUnit = (typeof ITEM_UNITS)[number];
