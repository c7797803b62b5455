import { BlockList, isIP } from 'node:net';

/** `10.0.0.1`, `2001:db8::1`, `203.0.113.0/24`, `2001:db8::/32`: an address or a CIDR range. */
function parseEntry(entry: string): { address: string; prefix?: number; family: 'ipv4' | 'ipv6' } | undefined {
  const [address = '', prefixText, extra] = entry.trim().split('/');
  const version = isIP(address);
  if (version === 0 || extra !== undefined) return undefined;
  const family = version === 4 ? 'ipv4' : 'ipv6';
  if (prefixText === undefined) return { address, family };
  if (!/^[0-9]{1,3}$/.test(prefixText) || Number(prefixText) > (version === 4 ? 32 : 128)) return undefined;
  return { address, prefix: Number(prefixText), family };
}

export function allowedIpsProblems(entries: readonly string[] | undefined, path: string): string[] {
  return (entries ?? []).flatMap((entry, i) => (parseEntry(entry) ? [] : [`${path}/${i}: "${entry}" is not an IP address or CIDR range`]));
}

/**
 * A matcher over the configured addresses and ranges; an IPv4 client seen as `::ffff:a.b.c.d` (a
 * dual-stack listener) matches its IPv4 entry.
 */
export function allowedIpMatcher(entries: readonly string[]): (ip: string | undefined) => boolean {
  const list = new BlockList();
  for (const entry of entries) {
    const parsed = parseEntry(entry);
    if (!parsed) continue;
    if (parsed.prefix === undefined) list.addAddress(parsed.address, parsed.family);
    else list.addSubnet(parsed.address, parsed.prefix, parsed.family);
  }
  return (ip) => {
    if (!ip) return false;
    const mapped = /^::ffff:([0-9.]+)$/i.exec(ip)?.[1];
    const address = mapped ?? ip;
    const version = isIP(address);
    return version !== 0 && list.check(address, version === 4 ? 'ipv4' : 'ipv6');
  };
}
