import type { BusinessHours } from './types';

/**
 * Business hours in IST. India has no daylight saving time, so IST is UTC+05:30 all year and
 * plain arithmetic is exact (and deterministic inside workflows, unlike Intl with time zones).
 */
const IST_OFFSET_MS = (5 * 60 + 30) * 60_000;
const DAY_MS = 24 * 60 * 60_000;

export function parseHhmm(hhmm: string): number {
  const [h, m] = hhmm.split(':').map(Number);
  return h * 60 + m;
}

/** IST calendar fields of an instant. */
export function istParts(ms: number): { date: string; weekday: number; minuteOfDay: number; dayStartMs: number } {
  const shifted = ms + IST_OFFSET_MS;
  const d = new Date(shifted);
  const dayStartShifted = shifted - (((shifted % DAY_MS) + DAY_MS) % DAY_MS);
  return {
    date: d.toISOString().slice(0, 10),
    weekday: d.getUTCDay(),
    minuteOfDay: d.getUTCHours() * 60 + d.getUTCMinutes(),
    dayStartMs: dayStartShifted - IST_OFFSET_MS,
  };
}

function isBusinessDay(ms: number, bh: BusinessHours): boolean {
  const p = istParts(ms);
  return bh.days.includes(p.weekday) && !bh.holidays.includes(p.date);
}

export function isBusinessTime(ms: number, bh: BusinessHours): boolean {
  const p = istParts(ms);
  return isBusinessDay(ms, bh) && p.minuteOfDay >= bh.startMinute && p.minuteOfDay < bh.endMinute;
}

/**
 * The next start of business hours strictly after `ms` (when the digest goes out). Looks at
 * most a year ahead; a calendar without any business day there is a config error caught by zod.
 */
export function nextBusinessStart(ms: number, bh: BusinessHours): number {
  let dayStart = istParts(ms).dayStartMs;
  for (let i = 0; i < 370; i++, dayStart += DAY_MS) {
    const start = dayStart + bh.startMinute * 60_000;
    if (start > ms && isBusinessDay(start, bh)) return start;
  }
  throw new Error('no business day within a year: check notifications.businessHours');
}

/** `2026-03-02T09:00+05:30`-style label, for digest ids and messages. */
export function istLabel(ms: number): string {
  const p = istParts(ms);
  const hh = String(Math.floor(p.minuteOfDay / 60)).padStart(2, '0');
  const mm = String(p.minuteOfDay % 60).padStart(2, '0');
  return `${p.date}T${hh}:${mm}+05:30`;
}
