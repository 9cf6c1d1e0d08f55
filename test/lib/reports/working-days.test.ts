import { describe, expect, it } from 'vitest';
import {
  isOverdue,
  isWorkingDay,
  NO_HOLIDAYS,
  workCalendar,
  workingDaysAfter,
} from '../../../lib/reports/working-days.ts';

/** A week with a holiday on Thursday 2026-10-01 and the Saturday 2026-10-10 made a working day. */
const CAL = workCalendar('2026-10-01, 2026-10-02,2026-10-05', '2026-10-10');
const at = (cst: string) => new Date(`${cst}+08:00`);

describe('working days of report deadlines', () => {
  it('counts Monday to Friday, from the day after arrival, whatever the hour', () => {
    // Monday 2026-09-14.
    expect(workingDaysAfter(at('2026-09-14T00:01:00'), 5, NO_HOLIDAYS)).toBe('2026-09-21');
    expect(workingDaysAfter(at('2026-09-14T23:59:00'), 5, NO_HOLIDAYS)).toBe('2026-09-21');
    // Saturday 2026-09-19: Monday to Friday after.
    expect(workingDaysAfter(at('2026-09-19T10:00:00'), 5, NO_HOLIDAYS)).toBe('2026-09-25');
    // 16:30 UTC on Sunday is Monday 00:30 in Beijing.
    expect(workingDaysAfter(new Date('2026-09-20T16:30:00Z'), 1, NO_HOLIDAYS)).toBe('2026-09-22');
  });

  it('skips public holidays and counts the weekend days made working days', () => {
    // Arrives Tuesday 2026-09-29: Wed 30, (Thu 1, Fri 2 holidays, Sat 3, Sun 4), (Mon 5 holiday),
    // Tue 6, Wed 7, Thu 8 → due Thursday 2026-10-08.
    expect(workingDaysAfter(at('2026-09-29T09:00:00'), 4, CAL)).toBe('2026-10-08');
    // Saturday 2026-10-10 is a working day: arriving Friday 9th, one working day later is the 10th.
    expect(workingDaysAfter(at('2026-10-09T09:00:00'), 1, CAL)).toBe('2026-10-10');
    expect(isWorkingDay('2026-10-10', CAL)).toBe(true);
    expect(isWorkingDay('2026-10-01', CAL)).toBe(false);
    expect(isWorkingDay('2026-10-11', CAL)).toBe(false);
  });

  it('is overdue once the whole due day has passed in Beijing', () => {
    expect(isOverdue('2026-10-08', at('2026-10-08T23:59:59'))).toBe(false);
    expect(isOverdue('2026-10-08', at('2026-10-09T00:00:00'))).toBe(true);
  });

  it('refuses a calendar with a date that is not one, or a day both holiday and working day', () => {
    expect(() => workCalendar('2026-02-30', '')).toThrow(/2026-02-30 is not a date/);
    expect(() => workCalendar('2026-13-01', '')).toThrow(/2026-13-01 is not a date/);
    expect(() => workCalendar('2026/10/01', '')).toThrow(/not a date/);
    expect(() => workCalendar('2026-10-10', '2026-10-10')).toThrow(/both as a holiday and as a working day/);
    expect(() => workingDaysAfter(new Date(), 0, NO_HOLIDAYS)).toThrow(TypeError);
  });
});
