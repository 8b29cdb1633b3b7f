import { z } from 'zod';

const isoDate = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'a date as YYYY-MM-DD');
const clock = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'a time of day as HH:MM (IST)');
const weekday = z.number().int().min(0).max(6);

/** Per-entry changes to the shipped timetable (schedules/timetable.ts), keyed by entry id. */
const entryOverrideSchema = z
  .object({
    time: clock.optional(),
    /** Days of the week (0 = Sunday) the entry runs on; replaces the entry's default days. */
    days: z.array(weekday).min(1).optional(),
    /** Monthly entries (the restore drill): the day of the month (IST) they run on. */
    dayOfMonth: z.number().int().min(1).max(28).optional(),
    /** false switches an entry off (its schedule stays, paused, and `schedules list` says why). */
    enabled: z.boolean().optional(),
  })
  .strict();

/** Timetable settings; the entries themselves are data in schedules/timetable.ts. */
export const timetableSchema = z
  .object({
    timezone: z.literal('Asia/Kolkata').default('Asia/Kolkata'),
    /** Dates on which business-day entries (scale-up, scale-down, …) are skipped. */
    holidays: z.array(isoDate).default([]),
    /** Days on which business-day entries run (0 = Sunday). Default Monday–Friday. */
    businessDays: z.array(weekday).min(1).default([1, 2, 3, 4, 5]),
    /** Number of steps of the evening gradual scale-down between 18:00 and 18:30. */
    scaleDownSteps: z.number().int().min(1).max(30).default(3),
    /** Length of the gradual scale-down window (default 30: 18:00–18:30). */
    scaleDownWindowMinutes: z.number().int().min(0).max(240).default(30),
    /** How long a scale-up waits for ACTIVE with the desired instances InService before alerting. */
    verifyTimeoutMinutes: z.number().int().min(1).max(120).default(15),
    /** Interval of the durable-timer polls while waiting. */
    verifyPollSeconds: z.number().int().min(1).max(600).default(15),
    /** How late a missed run (server or workers down) may still start. Default 15 minutes. */
    catchupWindowMinutes: z
      .number()
      .int()
      .min(1)
      .max(24 * 60)
      .default(15),
    entries: z.record(z.string(), entryOverrideSchema).default({}),
  })
  .strict();
export type TimetableConfig = z.infer<typeof timetableSchema>;
export type TimetableEntryOverride = z.infer<typeof entryOverrideSchema>;
