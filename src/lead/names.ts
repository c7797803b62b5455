/** "Jane van der Berg" → NAME "Jane", LAST_NAME "van der Berg": the first word is the given name. */
export function splitFullName(full: string): { first?: string; last?: string } {
  const words = full.trim().split(/\s+/).filter(Boolean);
  if (words.length === 0) return {};
  if (words.length === 1) return { first: words[0] };
  return { first: words[0], last: words.slice(1).join(' ') };
}
