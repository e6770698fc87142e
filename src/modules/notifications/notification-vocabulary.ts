export const NOTIFICATION_CHANNELS = ['email'] as const;
export type NotificationChannel = (typeof NOTIFICATION_CHANNELS)[number];

/** Why a message is sent: the alert itself, its escalation, its end, or the daily digest. */
export const MESSAGE_PURPOSES = ['alert', 'escalation', 'resolved', 'digest'] as const;
export type MessagePurpose = (typeof MESSAGE_PURPOSES)[number];

export const MESSAGE_STATES = ['pending', 'sent', 'failed', 'cancelled'] as const;
export type MessageState = (typeof MESSAGE_STATES)[number];
