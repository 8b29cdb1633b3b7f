import { z } from 'zod';

const isoDate = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'a date as YYYY-MM-DD');

/** Timetable settings; the entries themselves are data in schedules/timetable.ts. */
export const timetableSchema = z
  .object({
    timezone: z.literal('Asia/Kolkata').default('Asia/Kolkata'),
    /** Dates on which business-day entries (scale-up, scale-down, …) are skipped. */
    holidays: z.array(isoDate).default([]),
    /** Days on which business-day entries run (0 = Sunday). */
    businessDays: z.array(z.number().int().min(0).max(6)).min(1).default([1, 2, 3, 4, 5]),
    /** Number of steps of the evening gradual scale-down between 18:00 and 18:30. */
    scaleDownSteps: z.number().int().min(1).max(30).default(3),
  })
  .strict();
export type TimetableConfig = z.infer<typeof timetableSchema>;
