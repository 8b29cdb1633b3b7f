import type { TimetableConfig } from '../../config/timetable';
import { istParts } from './ist';

/** Business hours in IST: the node groups are at their business size from 08:00 until 18:00. */
export const BUSINESS_START_MINUTE = 8 * 60;
export const BUSINESS_END_MINUTE = 18 * 60;

export type Phase = 'business' | 'off';
export type BusinessCalendar = Pick<TimetableConfig, 'businessDays' | 'holidays'>;

export function isBusinessDay(date: string, dayOfWeek: number, cal: BusinessCalendar): boolean {
  return cal.businessDays.includes(dayOfWeek) && !cal.holidays.includes(date);
}

/**
 * Which size a node group should have at an instant: the business size on a business day
 * between 08:00 and 18:00 IST, the off-hours size otherwise (the 18:00–18:30 ramp counts as
 * off-hours: that is where it is heading).
 */
export function phaseAt(ms: number, cal: BusinessCalendar): Phase {
  const p = istParts(ms);
  const inHours = p.minuteOfDay >= BUSINESS_START_MINUTE && p.minuteOfDay < BUSINESS_END_MINUTE;
  return inHours && isBusinessDay(p.date, p.dayOfWeek, cal) ? 'business' : 'off';
}
