/** The `time` block Bitrix24 attaches to every successful response. */

export interface TimeInfo {
  start: number;
  finish: number;
  duration: number;
  processing: number;
  date_start: string;
  date_finish: string;
  operating_reset_at?: number;
  operating?: number;
}

/** PHP DATE_ATOM in UTC, the format Bitrix uses for date_start and DATE_CREATE. */
export function formatAtom(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, '+00:00');
}

export function buildTimeInfo(
  startMs: number,
  finishMs: number,
  processingSeconds: number,
  operating?: { operating: number; resetAt: number | null },
): TimeInfo {
  const time: TimeInfo = {
    start: startMs / 1000,
    finish: finishMs / 1000,
    // The simulated handler time is charged even when no real time passed; keep duration ≥ processing.
    duration: Math.max((finishMs - startMs) / 1000, processingSeconds),
    processing: processingSeconds,
    date_start: formatAtom(startMs),
    date_finish: formatAtom(finishMs),
  };
  if (operating) {
    if (operating.resetAt !== null) time.operating_reset_at = operating.resetAt;
    time.operating = operating.operating;
  }
  return time;
}
