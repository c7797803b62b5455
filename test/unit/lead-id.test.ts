import { deriveLeadId, isLeadId, newLeadId } from '../../src/lead/lead-id';

describe('a lead id derived from the submission\'s identity', () => {
  const form = { kind: 'form', scope: 'contact', id: 'landing-7f3a' };

  it('is the same every time for the same source, scope and identity', () => {
    expect(deriveLeadId(form)).toBe(deriveLeadId({ ...form }));
  });

  it('differs when any part differs, and parts cannot be shifted into one another', () => {
    const ids = new Set([
      deriveLeadId(form),
      deriveLeadId({ ...form, kind: 'partner' }),
      deriveLeadId({ ...form, scope: 'newsletter' }),
      deriveLeadId({ ...form, id: 'landing-7f3b' }),
      deriveLeadId({ kind: 'form', scope: 'a:b', id: 'c' }),
      deriveLeadId({ kind: 'form', scope: 'a', id: 'b:c' }),
    ]);
    expect(ids.size).toBe(6);
  });

  it('is a valid BullMQ job id: URL-safe, no ":", never digits-only', () => {
    const id = deriveLeadId({ kind: 'google', scope: '', id: '1234567890123456789' });
    expect(id).toMatch(/^lg_[0-9a-f]{32}$/);
    expect(id).not.toContain(':');
    expect(encodeURIComponent(id)).toBe(id);
  });

  it('is accepted by isLeadId, like a random id', () => {
    expect(isLeadId(deriveLeadId(form))).toBe(true);
    expect(isLeadId(newLeadId())).toBe(true);
  });
});

describe('isLeadId', () => {
  it('refuses anything else', () => {
    for (const value of ['', 'lg_', 'lg_XYZ', `lg_${'0'.repeat(31)}`, `lg_${'0'.repeat(33)}`, `lg_${'g'.repeat(32)}`, 'lg_abc:def', '12345', `${deriveLeadId({ kind: 'form', scope: 'x', id: 'y' })}\n`]) {
      expect([value, isLeadId(value)]).toEqual([value, false]);
    }
  });
});
