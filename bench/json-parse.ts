/**
 * `npx tsx bench/json-parse.ts`: what parsing a webhook body with exact int64 ids costs, beside
 * JSON.parse (which loses digits) as the reference, in the same run. Sizes: `ROUNDS` (5), `ROUND_MS` (300).
 * Each figure is the median of the rounds' operations per second. Commit 89afe36 also runs the
 * hand-written tokenizer this parser replaced.
 */
import { parseJsonExact } from '../src/sources/shared/exact-json';

const ROUNDS = Number(process.env.ROUNDS ?? 5);
const ROUND_MS = Number(process.env.ROUND_MS ?? 300);

/** Google's "send test data" payload with a campaign id past 2^53, as Google sends int64 ids: numbers. */
const GOOGLE = JSON.stringify({
  lead_id: 'TeSter-123-ABCDEFGHIJKLMNOPQRSTUVWXYZ-abcdefghijklmnopqrstuvwxyz-0123456789-AaBbCcDdEeFfGgHhIiJjKkLl',
  user_column_data: [
    { column_name: 'Full Name', string_value: 'FirstName LastName', column_id: 'FULL_NAME' },
    { column_name: 'User Phone', string_value: '+16505550123', column_id: 'PHONE_NUMBER' },
    { column_name: 'User Email', string_value: 'test@example.com', column_id: 'EMAIL' },
    { column_name: 'Postal Code', string_value: '94043', column_id: 'POSTAL_CODE' },
  ],
  api_version: '1.0',
  form_id: 18698608977,
  campaign_id: 991214827,
  google_key: 'bench-google-key-0001',
  is_test: false,
  gcl_id: 'TeSter-123-ABCDEFGHIJKLMNOPQRSTUVWXYZ-abcdefghijklmnopqrstuvwxyz-0123456789-AaBbCcDdEeFfGgHhIiJjKkLl',
  adgroup_id: 20000000000,
  creative_id: 30000000000,
}).replace('"campaign_id":991214827', '"campaign_id":9223372036854775807');

/** Meta's documented notification: two leads in one entry, ids as strings. */
const META = JSON.stringify({
  object: 'page',
  entry: [
    {
      id: '153125381133',
      time: 1438292065,
      changes: ['123123123123', '123123123124'].map((leadgenId) => ({
        field: 'leadgen',
        value: { leadgen_id: leadgenId, page_id: '153125381133', form_id: '12312312312', adgroup_id: '23849853425890183', ad_id: '23849853425890184', created_time: 1440120384 },
      })),
    },
  ],
});

/** A Graph API lead, as the worker reads it. */
const GRAPH_LEAD = JSON.stringify({
  created_time: '2026-02-28T08:49:14+0000',
  id: '233370042045345',
  ad_id: '23849853425890184',
  form_id: '172036835026334',
  field_data: [
    { name: 'full_name', values: ['Jane Doe'] },
    { name: 'email', values: ['jane@example.com'] },
    { name: 'phone_number', values: ['+15555550123'] },
    { name: 'city', values: ['Berlin'] },
  ],
});

/**
 * The worst an anonymous caller can make the Google route parse (before the key is checked): a body
 * at the default `http.bodyLimit`, 64 kB. Meta's bodies are parsed only once their signature holds.
 */
const LIMIT_STRING = JSON.stringify({ lead_id: 'x', pad: 'x'.repeat(65_000) });
const LIMIT_NUMBERS = `{"lead_id":"x","pad":[${Array.from({ length: 16_300 }, (_, i) => i % 1000).join(',')}]}`;
const LIMIT_BIG_NUMBERS = `{"lead_id":"x","pad":[${Array.from({ length: 3_400 }, (_, i) => 9_007_199_254_740_993n + BigInt(i)).join(',')}]}`;

if ((parseJsonExact(GOOGLE) as { campaign_id?: unknown }).campaign_id !== '9223372036854775807') throw new Error('parseJsonExact lost digits');

const BODIES: Array<[string, string]> = [
  ['Google lead webhook', GOOGLE],
  ['Meta leadgen webhook', META],
  ['Meta Graph lead', GRAPH_LEAD],
  ['64 kB: one long string', LIMIT_STRING],
  ['64 kB: small numbers', LIMIT_NUMBERS],
  ['64 kB: integers past 2^53', LIMIT_BIG_NUMBERS],
];

const PARSERS: Array<[string, (text: string) => unknown]> = [
  ['JSON.parse (reference, loses digits)', (text) => JSON.parse(text) as unknown],
  ['lossless-json (parseJsonExact)', parseJsonExact],
];

function opsPerSecond(parse: (text: string) => unknown, text: string): number {
  let sink = 0;
  let ops = 0;
  const start = process.hrtime.bigint();
  const until = start + BigInt(ROUND_MS) * 1_000_000n;
  let now = start;
  while (now < until) {
    for (let i = 0; i < 16; i += 1) sink += parse(text) === null ? 1 : 0;
    ops += 16;
    now = process.hrtime.bigint();
  }
  if (sink < 0) console.log(sink);
  return ops / (Number(now - start) / 1e9);
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

const format = (n: number): string => (n >= 100 ? Math.round(n).toLocaleString('en-US') : n.toFixed(1));

console.log(`Node ${process.version}, ${ROUNDS} rounds of ${ROUND_MS} ms, median ops/s (µs per parse)\n`);
console.log(`| body | bytes | ${PARSERS.map(([name]) => name).join(' | ')} |`);
console.log(`| --- | --- | ${PARSERS.map(() => '---').join(' | ')} |`);
for (const [name, text] of BODIES) {
  for (const [, parse] of PARSERS) opsPerSecond(parse, text);
  // Rounds alternate between the parsers, so a noisy neighbour on the machine hits them all alike.
  const rounds: number[][] = PARSERS.map(() => []);
  for (let round = 0; round < ROUNDS; round += 1) PARSERS.forEach(([, parse], i) => rounds[i]!.push(opsPerSecond(parse, text)));
  const cells = rounds.map((figures) => {
    const ops = median(figures);
    return `${format(ops)} (${format(1e6 / ops)} µs)`;
  });
  console.log(`| ${name} | ${text.length.toLocaleString('en-US')} | ${cells.join(' | ')} |`);
}
