import { localTime, parseWindow, type RestartWindow, windowState } from '../../../../functions/domain/windows/window';

function window(text: string): RestartWindow {
  const parsed = parseWindow(text);
  if ('problem' in parsed) throw new Error(`${text}: ${parsed.problem}`);
  return parsed;
}

describe('parseWindow: DAYS HH:MM-HH:MM ZONE', () => {
  it.each<[string, Partial<RestartWindow>]>([
    ['daily 02:00-04:00 Europe/Berlin', { days: [0, 1, 2, 3, 4, 5, 6], opens: 120, closes: 240, zone: 'Europe/Berlin' }],
    ['Sat 02:00-04:00 UTC', { days: [6], opens: 120, closes: 240, zone: 'UTC' }],
    ['Mon-Fri 22:00-04:00 America/New_York', { days: [1, 2, 3, 4, 5], opens: 1320, closes: 240 }],
    // A range may wrap around the week.
    ['Fri-Mon 01:30-02:15 Asia/Tokyo', { days: [0, 1, 5, 6], opens: 90, closes: 135 }],
    ['daily 00:00-24:00 UTC', { opens: 0, closes: 1440 }],
    ['SAT 23:00-01:00 Europe/London', { days: [6], opens: 1380, closes: 60 }],
    ['  sun   03:00-05:00   Australia/Lord_Howe ', { days: [0], text: 'sun   03:00-05:00   Australia/Lord_Howe' }],
    ['daily 09:00-17:00 Etc/GMT+5', { zone: 'Etc/GMT+5' }],
  ])('%s', (text, expected) => {
    expect(window(text)).toMatchObject(expected);
  });

  it.each<[string, RegExp]>([
    ['', /expected DAYS HH:MM-HH:MM ZONE/],
    ['daily 02:00-04:00', /expected DAYS HH:MM-HH:MM ZONE/],
    ['weekdays 02:00-04:00 UTC', /"weekdays" is not daily, a day \(Mon ... Sun\) or a range of days/],
    ['Mon-Fri-Sat 02:00-04:00 UTC', /"Mon-Fri-Sat" is not daily/],
    ['Monday 02:00-04:00 UTC', /"Monday" is not daily/],
    ['daily 2:00-4:00 UTC', /"2:00-4:00" is not HH:MM-HH:MM/],
    ['daily 02:00 UTC', /"02:00" is not HH:MM-HH:MM/],
    ['daily 24:00-02:00 UTC', /"24:00" is not a time of day \(00:00 to 23:59\)/],
    ['daily 02:60-04:00 UTC', /"02:60" is not a time of day/],
    ['daily 02:00-24:30 UTC', /"24:30" is not a time of day \(00:00 to 24:00\)/],
    ['daily 02:00-25:00 UTC', /"25:00" is not a time of day/],
    ['daily 03:00-03:00 UTC', /opens and closes at once \(the whole day is 00:00-24:00\)/],
    ['daily 02:00-04:00 Europe/Berln', /"Europe\/Berln" is not an IANA time zone/],
    // An offset is not a zone: it has no daylight saving, and the tag would read as one.
    ['daily 02:00-04:00 +02:00', /"\+02:00" is not an IANA time zone/],
    ['daily 02:00-04:00 CEST', /"CEST" is not an IANA time zone/],
  ])('refuses %j with the reason', (text, problem) => {
    const parsed = parseWindow(text);
    expect('problem' in parsed && parsed.problem).toMatch(problem);
  });
});

/**
 * "Is it open / when does it open next", across a daylight-saving change in two zones. 2026:
 * Europe/Berlin goes to summer time on Sunday 29 March (02:00 CET -> 03:00 CEST, at 01:00Z) and
 * back on Sunday 25 October (03:00 CEST -> 02:00 CET, at 01:00Z); America/New_York on Sunday 8
 * March (02:00 EST -> 03:00 EDT, at 07:00Z) and back on Sunday 1 November (02:00 EDT -> 01:00 EST,
 * at 06:00Z). A time the clock skips moves forward by the gap; a time it shows twice is its first.
 */
describe('windowState: open now, or when it opens next', () => {
  it.each<[string, string, string, { open: boolean; at: string }]>([
    // Berlin, winter: 02:00 CET is 01:00Z.
    [
      'Berlin, a winter night, before',
      'daily 02:00-04:00 Europe/Berlin',
      '2026-03-28T00:59:00Z',
      { open: false, at: '2026-03-28T01:00:00.000Z' },
    ],
    [
      'Berlin, a winter night, inside',
      'daily 02:00-04:00 Europe/Berlin',
      '2026-03-28T02:59:00Z',
      { open: true, at: '2026-03-28T03:00:00.000Z' },
    ],
    [
      'Berlin, a winter night, after: the next night',
      'daily 02:00-04:00 Europe/Berlin',
      '2026-03-28T03:00:00Z',
      { open: false, at: '2026-03-29T01:00:00.000Z' },
    ],
    // Spring forward: 02:00 does not exist; it opens when the clock jumps to 03:00 (01:00Z) and closes at 04:00 CEST (02:00Z): one hour.
    [
      'Berlin, spring forward: opens as the clock jumps',
      'daily 02:00-04:00 Europe/Berlin',
      '2026-03-29T00:30:00Z',
      { open: false, at: '2026-03-29T01:00:00.000Z' },
    ],
    [
      'Berlin, spring forward: closes at 04:00 CEST',
      'daily 02:00-04:00 Europe/Berlin',
      '2026-03-29T01:30:00Z',
      { open: true, at: '2026-03-29T02:00:00.000Z' },
    ],
    [
      'Berlin, spring forward: summer from the next night',
      'daily 02:00-04:00 Europe/Berlin',
      '2026-03-29T02:00:00Z',
      { open: false, at: '2026-03-30T00:00:00.000Z' },
    ],
    // A time in the gap moves forward by the gap: 02:30 is 03:30 CEST that night.
    [
      'Berlin, spring forward: 02:30 in the gap is 03:30',
      'Sun 02:30-05:00 Europe/Berlin',
      '2026-03-29T00:00:00Z',
      { open: false, at: '2026-03-29T01:30:00.000Z' },
    ],
    // Fall back: 02:00-03:00 comes twice; the window opens at the first 02:00 (CEST, 00:00Z) and closes at 04:00 CET (03:00Z): three hours.
    [
      'Berlin, fall back: the first 02:00',
      'daily 02:00-04:00 Europe/Berlin',
      '2026-10-24T23:00:00Z',
      { open: false, at: '2026-10-25T00:00:00.000Z' },
    ],
    [
      'Berlin, fall back: open through the repeated hour',
      'daily 02:00-04:00 Europe/Berlin',
      '2026-10-25T01:30:00Z',
      { open: true, at: '2026-10-25T03:00:00.000Z' },
    ],
    [
      'Berlin, fall back: winter from the next night',
      'daily 02:00-04:00 Europe/Berlin',
      '2026-10-25T03:00:00Z',
      { open: false, at: '2026-10-26T01:00:00.000Z' },
    ],
    // New York, winter: 01:00 EST is 06:00Z.
    [
      'New York, spring forward: 01:00 EST',
      'daily 01:00-02:00 America/New_York',
      '2026-03-08T05:00:00Z',
      { open: false, at: '2026-03-08T06:00:00.000Z' },
    ],
    [
      'New York, spring forward: 02:00 is skipped, it closes as the clock jumps',
      'daily 01:00-02:00 America/New_York',
      '2026-03-08T06:30:00Z',
      { open: true, at: '2026-03-08T07:00:00.000Z' },
    ],
    [
      'New York, spring forward: the next night on EDT',
      'daily 01:00-02:00 America/New_York',
      '2026-03-08T07:00:00Z',
      { open: false, at: '2026-03-09T05:00:00.000Z' },
    ],
    // A window the clock skips whole does not open that night.
    [
      'New York, spring forward: 02:00-03:00 never shows',
      'daily 02:00-03:00 America/New_York',
      '2026-03-08T06:00:00Z',
      { open: false, at: '2026-03-09T06:00:00.000Z' },
    ],
    // Fall back: 01:00-02:00 comes twice, from 01:00 EDT (05:00Z) to 02:00 EST (07:00Z): two hours.
    [
      'New York, fall back: the first 01:00',
      'daily 01:00-02:00 America/New_York',
      '2026-11-01T04:00:00Z',
      { open: false, at: '2026-11-01T05:00:00.000Z' },
    ],
    [
      'New York, fall back: open through both 01:00s',
      'daily 01:00-02:00 America/New_York',
      '2026-11-01T06:30:00Z',
      { open: true, at: '2026-11-01T07:00:00.000Z' },
    ],
    [
      'New York, fall back: the next night on EST',
      'daily 01:00-02:00 America/New_York',
      '2026-11-01T07:00:00Z',
      { open: false, at: '2026-11-02T06:00:00.000Z' },
    ],
    // Crossing midnight, on the days it opens: Friday 22:00 EST to Saturday 04:00; none on the weekend.
    [
      'New York, Friday night into Saturday',
      'Mon-Fri 22:00-04:00 America/New_York',
      '2026-03-07T08:00:00Z',
      { open: true, at: '2026-03-07T09:00:00.000Z' },
    ],
    [
      'New York, the weekend: Monday night, on EDT',
      'Mon-Fri 22:00-04:00 America/New_York',
      '2026-03-07T09:00:00Z',
      { open: false, at: '2026-03-10T02:00:00.000Z' },
    ],
    ['UTC, one day a week', 'Sat 02:00-04:00 UTC', '2026-11-23T10:00:00Z', { open: false, at: '2026-11-28T02:00:00.000Z' }],
    ['UTC, the whole day, every day', 'daily 00:00-24:00 UTC', '2026-11-23T23:59:00Z', { open: true, at: '2026-11-24T00:00:00.000Z' }],
  ])('%s', (_, text, now, expected) => {
    const state = windowState([window(text)], new Date(now));
    expect(state.open).toBe(expected.open);
    expect((state.open ? state.closesAt : state.opensAt)?.toISOString()).toBe(expected.at);
  });

  it('of several windows: open if any is, else the one that opens first', () => {
    const weekend = window('Sat-Sun 10:00-12:00 UTC');
    const nights = window('Mon-Fri 02:00-03:00 Europe/Berlin');
    const friday = new Date('2026-11-27T12:00:00Z');
    expect(windowState([weekend, nights], friday)).toEqual({ open: false, window: weekend, opensAt: new Date('2026-11-28T10:00:00Z') });
    const sunday = new Date('2026-11-29T11:00:00Z');
    expect(windowState([nights, weekend], sunday)).toEqual({ open: true, window: weekend, closesAt: new Date('2026-11-29T12:00:00Z') });
    expect(windowState([], friday)).toEqual({ open: false });
  });

  it('says an instant as the zone shows it', () => {
    expect(localTime(new Date('2026-03-29T01:00:00Z'), 'Europe/Berlin')).toBe('Sun 03:00 Europe/Berlin');
    expect(localTime(new Date('2026-11-01T06:30:00Z'), 'America/New_York')).toBe('Sun 01:30 America/New_York');
  });
});
