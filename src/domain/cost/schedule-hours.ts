import type { TimetableConfig } from '../../config/timetable';

/**
 * How many hours a node group spends at each size, from the IST timetable:
 * business days 08:00–18:00 at the business-hours size, the rest of the day and non-business days
 * at the off-hours size. The evening scale-down ramps over 18:00–18:30 in a few steps; it is
 * approximated as a straight line, i.e. half an hour at the mean of the two sizes. The morning
 * scale-up is treated as instant at 08:00 (node boot time is not billed differently).
 */
export const BUSINESS_START_HOUR = 8;
export const BUSINESS_END_HOUR = 18;
export const RAMP_HOURS = 0.5;
/** AWS's billing month: 8,760 hours a year / 12. */
export const HOURS_PER_MONTH = 730;

export interface ScheduleHours {
  businessDaysPerWeek: number;
  /** Business days in an average month, holidays removed. */
  businessDaysPerMonth: number;
  offDaysPerMonth: number;
  /** Hours a business day spends at the business size (08:00–18:00). */
  businessHoursPerBusinessDay: number;
  rampHoursPerBusinessDay: number;
  /** Hours at the off-hours size on a business day (00:00–08:00 and 18:30–24:00). */
  offHoursPerBusinessDay: number;
  /** Hours per month at each size (the ramp counted separately). */
  monthly: { business: number; ramp: number; off: number };
}

/**
 * Holidays that fall on a business day are off days. The configured list is taken to cover one
 * year, so it removes holidays/12 business days from an average month.
 */
export function scheduleHours(timetable: Pick<TimetableConfig, 'businessDays' | 'holidays'>): ScheduleHours {
  const businessDays = new Set(timetable.businessDays);
  const holidaysOnBusinessDays = timetable.holidays.filter((d) =>
    businessDays.has(new Date(`${d}T00:00:00Z`).getUTCDay()),
  ).length;
  const weeksPerMonth = HOURS_PER_MONTH / (24 * 7);
  const businessDaysPerMonth = Math.max(0, businessDays.size * weeksPerMonth - holidaysOnBusinessDays / 12);
  const offDaysPerMonth = HOURS_PER_MONTH / 24 - businessDaysPerMonth;
  const businessHoursPerBusinessDay = BUSINESS_END_HOUR - BUSINESS_START_HOUR;
  const offHoursPerBusinessDay = 24 - businessHoursPerBusinessDay - RAMP_HOURS;
  return {
    businessDaysPerWeek: businessDays.size,
    businessDaysPerMonth,
    offDaysPerMonth,
    businessHoursPerBusinessDay,
    rampHoursPerBusinessDay: RAMP_HOURS,
    offHoursPerBusinessDay,
    monthly: {
      business: businessDaysPerMonth * businessHoursPerBusinessDay,
      ramp: businessDaysPerMonth * RAMP_HOURS,
      off: businessDaysPerMonth * offHoursPerBusinessDay + offDaysPerMonth * 24,
    },
  };
}

/** Node count in each IST hour of a business day (hour 18 holds the ramp and the off size). */
export function businessDayProfile(businessNodes: number, offNodes: number): number[] {
  return Array.from({ length: 24 }, (_, hour) => {
    if (hour >= BUSINESS_START_HOUR && hour < BUSINESS_END_HOUR) return businessNodes;
    if (hour === BUSINESS_END_HOUR) return RAMP_HOURS * ((businessNodes + offNodes) / 2) + (1 - RAMP_HOURS) * offNodes;
    return offNodes;
  });
}

/** Node-hours per month at the given sizes. */
export function monthlyNodeHours(h: ScheduleHours, businessNodes: number, offNodes: number): number {
  return (
    h.monthly.business * businessNodes + h.monthly.ramp * ((businessNodes + offNodes) / 2) + h.monthly.off * offNodes
  );
}
