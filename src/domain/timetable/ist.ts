/**
 * India Standard Time arithmetic. IST is UTC+05:30 all year (no daylight saving), so plain
 * arithmetic is exact and deterministic: workflows use it with their own clock (no Intl, no I/O).
 */
export const IST_OFFSET_MS = 330 * 60_000;
export const IST_TIMEZONE = 'Asia/Kolkata';
const DAY_MS = 86_400_000;

export interface IstParts {
  /** YYYY-MM-DD in IST. */
  date: string;
  hour: number;
  minute: number;
  /** 0 = Sunday … 6 = Saturday, in IST. */
  dayOfWeek: number;
  /** Minutes since IST midnight. */
  minuteOfDay: number;
}

export function istParts(ms: number): IstParts {
  const d = new Date(ms + IST_OFFSET_MS);
  const hour = d.getUTCHours();
  const minute = d.getUTCMinutes();
  return {
    date: d.toISOString().slice(0, 10),
    hour,
    minute,
    dayOfWeek: d.getUTCDay(),
    minuteOfDay: hour * 60 + minute,
  };
}

export function istDate(ms: number): string {
  return istParts(ms).date;
}

/** The UTC instant of an IST wall-clock time, e.g. ('2026-03-02', '08:00') → 02:30Z. */
export function istToUtcMs(date: string, time: string): number {
  const [h, m] = parseClock(time);
  return Date.parse(`${date}T00:00:00Z`) + (h * 60 + m) * 60_000 - IST_OFFSET_MS;
}

/** The next instant (strictly after `afterMs`) at which the IST clock shows `time`. */
export function nextIstTime(afterMs: number, time: string): number {
  const today = istToUtcMs(istDate(afterMs), time);
  return today > afterMs ? today : today + DAY_MS;
}

export function parseClock(time: string): [number, number] {
  const m = /^([01]\d|2[0-3]):([0-5]\d)$/.exec(time);
  if (!m) throw new Error(`"${time}" is not a time of day as HH:MM`);
  return [Number(m[1]), Number(m[2])];
}

/** "2026-03-02 08:00 IST" — how eksflow shows instants to operators in India. */
export function formatIst(ms: number): string {
  const p = istParts(ms);
  return `${p.date} ${String(p.hour).padStart(2, '0')}:${String(p.minute).padStart(2, '0')} IST`;
}

/**
 * Parses an operator's "until": an ISO instant (`2026-03-02T08:00:00Z`, `2026-03-02T08:00+05:30`),
 * an IST wall-clock time (`07:30` = the next 07:30 IST, `2026-03-02 07:30` = that day), or a
 * duration from now (`90m`, `12h`, `2d`). Returns epoch ms, or throws with a message a human can act on.
 */
export function parseUntil(text: string, nowMs: number): number {
  const t = text.trim();
  const dur = /^(\d+)\s*(m|h|d)$/.exec(t);
  if (dur) return nowMs + Number(dur[1]) * { m: 60_000, h: 3_600_000, d: DAY_MS }[dur[2] as 'm' | 'h' | 'd'];
  if (/^\d{2}:\d{2}$/.test(t)) return nextIstTime(nowMs, t);
  const dayTime = /^(\d{4}-\d{2}-\d{2})[ T](\d{2}:\d{2})$/.exec(t);
  if (dayTime) return istToUtcMs(dayTime[1]!, dayTime[2]!);
  if (/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/.test(t)) {
    const ms = Date.parse(t);
    if (!Number.isNaN(ms)) return ms;
  }
  throw new Error(
    `cannot read "${text}" as a time: use an ISO instant, HH:MM (IST), "YYYY-MM-DD HH:MM" (IST) or a duration such as 90m, 12h, 2d`,
  );
}
