import { compactLeadId, expandLeadId } from '../../src/queue/compact-id';
import { deriveLeadId, newLeadId } from '../../src/lead/lead-id';

describe('compact lead ids in the shared buckets (issue 13)', () => {
  it('a new id in 19 characters, a derived one in 22, both read back exactly', () => {
    for (let i = 0; i < 200; i += 1) {
      const fresh = newLeadId();
      const derived = deriveLeadId({ kind: 'form', scope: 'contact', id: String(i) });
      expect(compactLeadId(fresh)).toHaveLength(19);
      expect(compactLeadId(derived)).toHaveLength(22);
      expect(expandLeadId(compactLeadId(fresh))).toBe(fresh);
      expect(expandLeadId(compactLeadId(derived))).toBe(derived);
      expect(compactLeadId(fresh)).not.toContain(':');
    }
  });

  it('any other id is kept as it is, marked when it could be read as a compact one', () => {
    const odd = ['lead-1', 'lg_0abcdef0123456789abcdef', 'x'.repeat(19), 'A'.repeat(22), '~tilde', '', 'lg_ABC', `lg_${'0'.repeat(32)}`, 'lg_zzzzzzzzzzzzz0123456789abcdef'];
    for (const id of odd) expect(expandLeadId(compactLeadId(id))).toBe(id);
    expect(compactLeadId('lead-1')).toBe('lead-1');
    expect(compactLeadId('x'.repeat(19))).toBe(`~${'x'.repeat(19)}`);
  });
});
