import type { AssignConfig } from '../../src/config/assign-consent-config';
import { chooseUser, eligibleUsers, inWorkingHours } from '../../src/worker/assign-pool';

// Wednesday 2026-03-04, 08:30 UTC = 09:30 in Berlin.
const WED_0830_UTC = new Date('2026-03-04T08:30:00Z');
const berlin = { timezone: 'Europe/Berlin', from: '09:00', to: '17:00' };

describe('working hours', () => {
  it('are local to the zone, [from, to), on the working days (mon to fri by default)', () => {
    expect(inWorkingHours(berlin, WED_0830_UTC)).toBe(true);
    expect(inWorkingHours({ ...berlin, timezone: 'UTC' }, WED_0830_UTC)).toBe(false);
    expect(inWorkingHours({ ...berlin, days: ['sat', 'sun'] }, WED_0830_UTC)).toBe(false);
    expect(inWorkingHours({ ...berlin, to: '09:30' }, WED_0830_UTC)).toBe(false);
  });

  it('a shift past midnight belongs to the day it starts on', () => {
    const night = { timezone: 'UTC', from: '22:00', to: '06:00', days: ['tue' as const] };
    expect(inWorkingHours(night, new Date('2026-03-03T23:00:00Z'))).toBe(true); // Tuesday night
    expect(inWorkingHours(night, new Date('2026-03-04T05:00:00Z'))).toBe(true); // Wednesday morning, Tuesday's shift
    expect(inWorkingHours(night, new Date('2026-03-05T05:00:00Z'))).toBe(false); // Thursday morning, Wednesday's shift
  });
});

describe('choosing a user', () => {
  const pool: AssignConfig = { strategy: 'round-robin', users: [1, { id: 2, workingHours: { ...berlin, timezone: 'UTC' } }, 3], workingHours: berlin };

  it('skips users outside their hours; when nobody is in hours, uses the whole list', () => {
    expect(eligibleUsers(pool, WED_0830_UTC)).toEqual([1, 3]);
    expect(eligibleUsers(pool, new Date('2026-03-04T20:00:00Z'))).toEqual([1, 2, 3]);
  });

  it('round-robin takes the pool\'s turn; random draws among the users in hours', () => {
    expect([0, 1, 2, 3].map((turn) => chooseUser(pool, WED_0830_UTC, { turn, random: 0 }))).toEqual([1, 3, 1, 3]);
    expect(chooseUser({ ...pool, strategy: 'random' }, WED_0830_UTC, { turn: 0, random: 0.99 })).toBe(3);
  });
});
