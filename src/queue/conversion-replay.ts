import type { ConversionQueues } from './conversion-queues';
import type { ConversionStore } from './conversion-store';

/**
 * Sends a dead conversion (or a dead Bitrix24 read) again with fresh attempts. The job is queued
 * before the letter is removed, so a crash in between leaves the letter, never a lost conversion;
 * the send job's id is the conversion's, so replaying twice queues it once.
 */
export async function replayConversionDeadLetter(deps: { store: ConversionStore; queues: ConversionQueues }, id: string): Promise<boolean> {
  const letter = await deps.store.deadLetter(id);
  if (!letter) return false;
  if (letter.kind === 'send' && letter.conversion) {
    await deps.store.update(letter.conversion, { status: 'queued', attempts: 0 });
    await deps.queues.requeueSend(letter.conversion);
  } else if (letter.read) {
    await deps.queues.requeueRead(letter.read);
  }
  await deps.store.removeDeadLetter(id);
  return true;
}
