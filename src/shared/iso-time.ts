/**
 * A lead's receipt time is read back from its ISO text by every module that keeps it compactly (the
 * packed job, the status record, the conversion ids), three parses and two formats of the same string
 * per lead: the last one read is remembered. Pure: the same answer as Date.parse and toISOString.
 */
let lastText: string | undefined;
let lastMs = NaN;
let lastExact = false;

function read(text: string): void {
  if (text === lastText) return;
  lastText = text;
  lastMs = Date.parse(text);
  lastExact = Number.isFinite(lastMs) && new Date(lastMs).toISOString() === text;
}

/** Date.parse(text). */
export function parseMs(text: string): number {
  read(text);
  return lastMs;
}

/** The time in ms when `text` is exactly what Date's toISOString writes for it (so it can be written back from ms), else undefined. */
export function exactIsoMs(text: string): number | undefined {
  read(text);
  return lastExact ? lastMs : undefined;
}

let lastFormatted = NaN;
let lastIso = '';

/** new Date(ms).toISOString() (a RangeError for a time Date cannot hold, as that throws). */
export function isoOfMs(ms: number): string {
  if (ms !== lastFormatted) {
    lastIso = new Date(ms).toISOString();
    lastFormatted = ms;
  }
  return lastIso;
}
