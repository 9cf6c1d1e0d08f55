import { todayCst } from '../license/validity.ts';

/**
 * Working days in China Standard Time, for the deadlines of error reports (差错反馈: an issuer has
 * 5 working days to answer one): Monday to Friday, except the public holidays the province lists, plus the weekend days
 * the State Council's holiday schedule makes working days (调休). Both lists are dates
 * `YYYY-MM-DD`, configured per province each year; nothing is assumed about a year not listed.
 */
export interface WorkCalendar {
  /** Weekdays that are not working days (public holidays). */
  holidays: ReadonlySet<string>;
  /** Weekend days that are working days (调休上班). */
  workdays: ReadonlySet<string>;
}

const DATE = /^\d{4}-\d{2}-\d{2}$/;
const DAY_MS = 86_400_000;

/** A calendar from comma-separated date lists (settings); throws naming the first bad date. */
export function workCalendar(holidays: string, workdays: string): WorkCalendar {
  const parse = (list: string, what: string) => {
    const dates = list
      .split(',')
      .map((d) => d.trim())
      .filter((d) => d !== '');
    for (const d of dates) {
      const at = Date.parse(`${d}T00:00:00Z`);
      if (!DATE.test(d) || Number.isNaN(at) || new Date(at).toISOString().slice(0, 10) !== d) {
        throw new TypeError(`${what}: ${d} is not a date YYYY-MM-DD`);
      }
    }
    return new Set(dates);
  };
  const cal = { holidays: parse(holidays, 'holidays'), workdays: parse(workdays, 'working days') };
  const both = [...cal.holidays].filter((d) => cal.workdays.has(d));
  if (both.length > 0) throw new TypeError(`${both[0]} is listed both as a holiday and as a working day`);
  return cal;
}

export const NO_HOLIDAYS: WorkCalendar = { holidays: new Set(), workdays: new Set() };

/** Whether a CST date is a working day. */
export function isWorkingDay(date: string, cal: WorkCalendar): boolean {
  if (cal.workdays.has(date)) return true;
  if (cal.holidays.has(date)) return false;
  const weekday = new Date(`${date}T00:00:00Z`).getUTCDay();
  return weekday !== 0 && weekday !== 6;
}

/**
 * The date (CST) `n` working days after the day `at` falls on: a report arriving on a Monday with
 * n = 5 is due the next Monday, one arriving on a Saturday the Friday after. The day itself does
 * not count, whatever time it arrived.
 */
export function workingDaysAfter(at: Date, n: number, cal: WorkCalendar): string {
  if (!Number.isSafeInteger(n) || n < 1 || n > 365)
    throw new TypeError('a deadline is 1 to 365 working days');
  let day = todayCst(at);
  // Two years of days at most: no calendar can make the count run on without end.
  for (let counted = 0, steps = 0; counted < n; steps++) {
    if (steps > 2 * 366) throw new TypeError('the calendar leaves no working day within two years');
    day = new Date(Date.parse(`${day}T00:00:00Z`) + DAY_MS).toISOString().slice(0, 10);
    if (isWorkingDay(day, cal)) counted++;
  }
  return day;
}

/** Whether a report due on `due` (CST date) is overdue at `now`: its whole day has passed. */
export function isOverdue(due: string, now: Date): boolean {
  return todayCst(now) > due;
}
