import { exactIsoMs, isoOfMs, parseMs } from '../../src/shared/iso-time';

describe('reading a receipt time back from its ISO text', () => {
  const exact = '2026-12-07T19:16:48.387Z';

  it('answers as Date.parse and toISOString do, whatever was asked before', () => {
    const texts = [exact, exact, '2026-12-07T19:16:48Z', exact, 'not a time', '', '2026-12-07', exact, '+275760-09-13T00:00:00.000Z'];
    for (const text of texts) {
      const ms = Date.parse(text);
      expect(parseMs(text)).toBe(ms);
      expect(exactIsoMs(text)).toBe(Number.isFinite(ms) && new Date(ms).toISOString() === text ? ms : undefined);
    }
  });

  it('only a time written exactly as toISOString writes it reads as exact', () => {
    expect(exactIsoMs(exact)).toBe(Date.UTC(2026, 11, 7, 19, 16, 48, 387));
    expect(exactIsoMs('2026-12-07T19:16:48Z')).toBeUndefined();
    expect(exactIsoMs('2026-12-07T20:16:48.387+01:00')).toBeUndefined();
    expect(exactIsoMs('nonsense')).toBeUndefined();
  });

  it('formats ms as toISOString does, and throws as it does for a time Date cannot hold', () => {
    for (const ms of [0, 1796671008387, 1796671008387, 1796671008388, -1]) expect(isoOfMs(ms)).toBe(new Date(ms).toISOString());
    expect(() => isoOfMs(NaN)).toThrow(RangeError);
    expect(() => isoOfMs(8.64e15 + 1)).toThrow(RangeError);
    expect(isoOfMs(5)).toBe('1970-01-01T00:00:00.005Z');
  });
});
