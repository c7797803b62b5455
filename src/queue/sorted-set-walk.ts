import type { RedisClient } from '../shared/redis-client';

/**
 * One page of a search over sorted sets that all score the same members by the same time (lead ids
 * by received time, dead letters by when they died). `next` continues after the last entry listed;
 * `partial` means the walk stopped at its budget before the page was full (a filter that matches
 * little of what it walks): `next` then continues where it stopped.
 */
export interface WalkPage {
  entries: Array<{ id: string; at: number }>;
  next?: WalkCursor;
  partial: boolean;
  /** Entries of the walked set looked at, for the page's footnote and the benchmark. */
  scanned: number;
}

/** Where a page ended: the entry's score and id, so a page is stable while newer entries arrive. */
export interface WalkCursor {
  at: number;
  id: string;
}

export interface WalkQuery {
  /** All must hold (AND); within one dimension any set may hold the id (OR: a source kind is its sources). */
  dimensions: string[][];
  min: number;
  max: number;
  cursor?: WalkCursor;
  limit: number;
  /** At most this many entries are looked at per call, so a page costs a bounded time. */
  budget: number;
  /** Ids none of these sets may hold (a status kept as the absence of the others). */
  exclude?: string[];
}

/**
 * Walks the dimension with the fewest entries in the time range, newest first, and keeps the ids
 * every other dimension holds and no excluded set does (ZSCORE each: O(1)). The cursor is found again by rank (ZREVRANK),
 * or, when its entry left the set meanwhile (a lead whose status changed), by its score. Members
 * are compared as Redis orders them (byte order; lead ids are lower-case ASCII, where the locale's
 * collation agrees). Every key lives under the prefix, so on Redis Cluster they share one slot.
 */
const WALK_SCRIPT = `
local ngroups = tonumber(ARGV[1])
local groups, k = {}, 1
for g = 1, ngroups do
  local keys = {}
  for i = 1, tonumber(ARGV[1 + g]) do keys[i] = KEYS[k]; k = k + 1 end
  groups[g] = keys
end
local exclude = {}
for i = 1, tonumber(ARGV[ngroups + 2]) do exclude[i] = KEYS[k]; k = k + 1 end
local a = ngroups + 3
local minArg, maxArg = ARGV[a], ARGV[a + 1]
local minNum = tonumber(minArg)
local curS, curM = tonumber(ARGV[a + 2]), ARGV[a + 3]
if ARGV[a + 2] == '' then curS = nil; curM = nil end
local limit, budget = tonumber(ARGV[a + 4]), tonumber(ARGV[a + 5])

local driver, best = 1, nil
for g = 1, ngroups do
  local n = 0
  for _, key in ipairs(groups[g]) do n = n + redis.call('ZCOUNT', key, minArg, maxArg) end
  if best == nil or n < best then best, driver = n, g end
end

local function precedes(x, y)
  return x[2] > y[2] or (x[2] == y[2] and x[1] > y[1])
end

local function after(key, s, m, n)
  local out, raw = {}, {}
  if s == nil then
    raw = redis.call('ZREVRANGEBYSCORE', key, maxArg, minArg, 'WITHSCORES', 'LIMIT', 0, n)
  else
    local at = redis.call('ZSCORE', key, m)
    if at and tonumber(at) == s then
      local r = redis.call('ZREVRANK', key, m)
      raw = redis.call('ZREVRANGE', key, r + 1, r + n, 'WITHSCORES')
    else
      local ties = redis.call('ZRANGEBYSCORE', key, s, s)
      for i = #ties, 1, -1 do
        if ties[i] < m and #out < n then out[#out + 1] = { ties[i], s } end
      end
      if #out < n then
        raw = redis.call('ZREVRANGEBYSCORE', key, '(' .. string.format('%.0f', s), minArg, 'WITHSCORES', 'LIMIT', 0, n - #out)
      end
    end
  end
  for i = 1, #raw, 2 do
    local sc = tonumber(raw[i + 1])
    if sc < minNum then break end
    out[#out + 1] = { raw[i], sc }
  end
  return out
end

local function held(id)
  for g = 1, ngroups do
    if g ~= driver then
      local found = false
      for _, key in ipairs(groups[g]) do
        if redis.call('ZSCORE', key, id) then found = true; break end
      end
      if not found then return false end
    end
  end
  for _, key in ipairs(exclude) do
    if redis.call('ZSCORE', key, id) then return false end
  end
  return true
end

-- Entries read per set and round: 250 from one set; from a union of many (no filter: every
-- destination-and-source set) a share of that, never fewer than a page, so a page does not read 250
-- entries from each of twenty sets to keep 50. Any size is correct: the boundary below keeps a round
-- to the entries that precede every set's last one read.
local CHUNK = math.min(250, math.max(limit + 1, math.ceil(500 / #groups[driver])))
local page, scanned, state = {}, 0, 'done'
local curArg = ARGV[a + 2]
while true do
  local merged, boundary = {}, nil
  for _, key in ipairs(groups[driver]) do
    local items = after(key, curS, curM, CHUNK)
    for _, it in ipairs(items) do merged[#merged + 1] = it end
    if #items == CHUNK and (boundary == nil or precedes(boundary, items[#items])) then boundary = items[#items] end
  end
  if #merged == 0 then state = 'done'; break end
  table.sort(merged, precedes)
  local stop = false
  for _, it in ipairs(merged) do
    if boundary and precedes(boundary, it) then break end
    if it[1] ~= curM or it[2] ~= curS then
      scanned = scanned + 1
      curS, curM = it[2], it[1]
      curArg = string.format('%.0f', curS)
      if held(it[1]) then
        page[#page + 1] = it
        if #page > limit then state = 'more'; stop = true; break end
      end
      if scanned >= budget then state = 'partial'; stop = true; break end
    end
  end
  if stop then break end
end

local out = { state, tostring(scanned), '', '' }
if state == 'more' then
  out[3] = string.format('%.0f', page[limit][2]); out[4] = page[limit][1]
  page[limit + 1] = nil
elseif state == 'partial' then
  out[3] = curArg; out[4] = curM
end
for _, it in ipairs(page) do
  out[#out + 1] = it[1]; out[#out + 1] = string.format('%.0f', it[2])
end
return out
`;

export async function walkSortedSets(redis: RedisClient, query: WalkQuery): Promise<WalkPage> {
  const dimensions = query.dimensions.filter((d) => d.length > 0);
  // A dimension with no set (a source kind nothing was received from) matches nothing.
  if (dimensions.length === 0 || dimensions.length < query.dimensions.length) return { entries: [], partial: false, scanned: 0 };
  const exclude = query.exclude ?? [];
  const keys = [...dimensions.flat(), ...exclude];
  const args = [
    String(dimensions.length),
    ...dimensions.map((d) => String(d.length)),
    String(exclude.length),
    String(Math.floor(query.min)),
    String(Math.floor(query.max)),
    query.cursor ? String(query.cursor.at) : '',
    query.cursor ? query.cursor.id : '',
    String(query.limit),
    String(query.budget),
  ];
  const reply = (await redis.eval(WALK_SCRIPT, keys.length, ...keys, ...args)) as string[];
  const [state, scanned, nextAt, nextId, ...flat] = reply;
  const entries: WalkPage['entries'] = [];
  for (let i = 0; i < flat.length; i += 2) entries.push({ id: flat[i]!, at: Number(flat[i + 1]) });
  return {
    entries,
    ...(nextAt && nextId ? { next: { at: Number(nextAt), id: nextId } } : {}),
    partial: state === 'partial',
    scanned: Number(scanned),
  };
}

/** Cursors travel in URLs: `<score>.<id>`, ids never contain a dot (lead ids are [a-z0-9_]). */
export function encodeCursor(cursor: WalkCursor): string {
  return `${cursor.at}.${cursor.id}`;
}

export function decodeCursor(text: unknown): WalkCursor | undefined {
  if (typeof text !== 'string') return undefined;
  const match = /^(\d{1,15})\.([A-Za-z0-9_-]{1,100})$/.exec(text);
  return match ? { at: Number(match[1]), id: match[2]! } : undefined;
}
