import { z } from 'zod';

/** Notification routing and channels. Secrets are named by env var / secret id, never inlined. */
export const notificationsSchema = z.object({}).passthrough();
export type NotificationsConfig = z.infer<typeof notificationsSchema>;
