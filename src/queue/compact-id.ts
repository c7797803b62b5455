/**
 * A lead id as the shared buckets store it (issue 13): the same id in fewer bytes, because each
 * delivered lead keeps it three times for `statusRetentionSeconds` (its compacted status record and
 * its two contact entries).
 *
 *   `lg_<ms, base 36><16 hex>` (newLeadId, 27 characters)  ->  6 bytes of ms + 8 random bytes, base64url: 19 characters
 *   `lg_<32 hex>`              (deriveLeadId, 35)           ->  16 bytes, base64url: 22 characters
 *   anything else                                         ->  the id itself, `~` before it when it could
 *                                                            be read as one of the two above (or starts with `~`)
 *
 * So `expandLeadId(compactLeadId(id)) === id` for every string, and a compact form never contains ':'
 * (the pieces' separator) nor starts with `lg_`.
 */
const NEW_ID = /^lg_([1-9a-z][0-9a-z]{5,11})([0-9a-f]{16})$/;
const DERIVED_ID = /^lg_([0-9a-f]{32})$/;
const COMPACT = /^(?:[A-Za-z0-9_-]{19}|[A-Za-z0-9_-]{22})$/;
const MAX_MS = 2 ** 48;

export function compactLeadId(id: string): string {
  const fresh = NEW_ID.exec(id);
  if (fresh) {
    const ms = parseInt(fresh[1]!, 36);
    // Only a time that reads back as the same base-36 digits (no leading zero, a safe integer).
    if (ms < MAX_MS && ms.toString(36) === fresh[1]) {
      const bytes = Buffer.alloc(14);
      bytes.writeUIntBE(ms, 0, 6);
      bytes.write(fresh[2]!, 6, 'hex');
      return bytes.toString('base64url');
    }
  }
  const derived = DERIVED_ID.exec(id);
  if (derived) return Buffer.from(derived[1]!, 'hex').toString('base64url');
  return id.startsWith('~') || COMPACT.test(id) ? `~${id}` : id;
}

export function expandLeadId(stored: string): string {
  if (stored.startsWith('~')) return stored.slice(1);
  if (!COMPACT.test(stored)) return stored;
  const bytes = Buffer.from(stored, 'base64url');
  if (stored.length === 22) return `lg_${bytes.toString('hex')}`;
  return `lg_${bytes.readUIntBE(0, 6).toString(36)}${bytes.toString('hex', 6)}`;
}

/** The time a `newLeadId` was made at (ms), read from the id; undefined for any other id. */
export function leadIdTimeMs(id: string): number | undefined {
  const fresh = NEW_ID.exec(id);
  if (!fresh) return undefined;
  const ms = parseInt(fresh[1]!, 36);
  return ms < MAX_MS && ms.toString(36) === fresh[1] ? ms : undefined;
}
