import { operatingPauseMs } from '../../src/worker/operating-budget';

describe('operating budget', () => {
  const now = 1_700_000_000_000;

  it('does not slow down while the method is well under its operating limit', () => {
    expect(operatingPauseMs({ operating: 100, operating_reset_at: now / 1000 + 60 }, 480, now)).toBe(0);
    expect(operatingPauseMs({}, 480, now)).toBe(0);
  });

  it('waits for operating_reset_at once 90% of the limit is used', () => {
    expect(operatingPauseMs({ operating: 440, operating_reset_at: now / 1000 + 42 }, 480, now)).toBe(42_000);
  });

  it('waits a minute when the portal gives no reset time', () => {
    expect(operatingPauseMs({ operating: 479 }, 480, now)).toBe(60_000);
  });
});
