import type { AssignConfig, Weekday, WorkingHours } from '../config/assign-consent-config';
import type { Config } from '../config/config';
import type { Lead } from '../lead/lead';
import { ownValue } from '../lead/own-value';

/** The assignment settings that apply to a lead, and the name of their shared round-robin counter. */
export interface AssignPool {
  key: string;
  assign: AssignConfig;
}

/** The most specific setting wins: the form or source the lead came from, else its destination. */
export function assignPoolFor(config: Config, lead: Pick<Lead, 'source' | 'destination'>): AssignPool | undefined {
  const { kind, name } = lead.source;
  const sources = config.sources;
  const own =
    kind === 'form' ? ownValue(config.forms, name)?.assign
    : kind === 'partner' ? (sources ? ownValue(sources.partners, name)?.assign : undefined)
    : kind === 'webhook' ? (sources?.webhooks ? ownValue(sources.webhooks, name)?.assign : undefined)
    : kind === 'meta' ? sources?.meta?.assign
    : kind === 'google' ? sources?.google?.assign
    : kind === 'linkedin' ? sources?.linkedin?.assign
    : kind === 'tiktok' ? sources?.tiktok?.assign
    : undefined;
  if (own) return { key: kind === 'form' || kind === 'partner' || kind === 'webhook' ? `${kind}:${name}` : kind, assign: own };
  const destination = ownValue(config.destinations, lead.destination)?.assign;
  return destination ? { key: `destination:${lead.destination}`, assign: destination } : undefined;
}

const WEEKDAYS: Weekday[] = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'];
const WORKDAYS: Weekday[] = ['mon', 'tue', 'wed', 'thu', 'fri'];

function minutes(hhmm: string): number {
  const [h, m] = hhmm.split(':').map(Number);
  return (h ?? 0) * 60 + (m ?? 0);
}

/** Weekday and minute of the day at `now` in the zone (Intl does the zone and DST arithmetic). */
function localTime(now: Date, timezone: string): { day: Weekday; minute: number } {
  const parts = new Intl.DateTimeFormat('en-US', { timeZone: timezone, weekday: 'short', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' }).formatToParts(now);
  const part = (type: string): string => parts.find((p) => p.type === type)?.value ?? '';
  const day = WEEKDAYS.find((d) => d === part('weekday').toLowerCase().slice(0, 3)) ?? 'mon';
  return { day, minute: Number(part('hour')) * 60 + Number(part('minute')) };
}

/** Within [from, to) on a working day; a shift past midnight belongs to the day it starts on. */
export function inWorkingHours(hours: WorkingHours, now: Date): boolean {
  const days = hours.days ?? WORKDAYS;
  const { day, minute } = localTime(now, hours.timezone);
  const from = minutes(hours.from);
  const to = minutes(hours.to);
  if (from <= to) return days.includes(day) && minute >= from && minute < to;
  if (minute >= from) return days.includes(day);
  const yesterday = WEEKDAYS[(WEEKDAYS.indexOf(day) + 6) % 7]!;
  return minute < to && days.includes(yesterday);
}

/** True when the zone is one Intl knows (checked when the config is loaded). */
export function isTimeZone(timezone: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: timezone });
    return true;
  } catch {
    return false;
  }
}

/**
 * Users in their working hours now, in configured order. When nobody is, the whole list: a lead
 * assigned to someone who reads it in the morning beats a lead assigned to nobody.
 */
export function eligibleUsers(assign: AssignConfig, now: Date): number[] {
  const users = assign.users.map((u) => (typeof u === 'number' ? { id: u, hours: assign.workingHours } : { id: u.id, hours: u.workingHours ?? assign.workingHours }));
  const inHours = users.filter((u) => !u.hours || inWorkingHours(u.hours, now));
  return (inHours.length > 0 ? inHours : users).map((u) => u.id);
}

/** The pick for one lead: `turn` is the pool's shared counter (round-robin), `random` in [0, 1). */
export function chooseUser(assign: AssignConfig, now: Date, draw: { turn: number; random: number }): number {
  const users = eligibleUsers(assign, now);
  const index = assign.strategy === 'random' ? Math.floor(draw.random * users.length) : draw.turn % users.length;
  return users[Math.min(index, users.length - 1)]!;
}
