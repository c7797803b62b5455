import type { Config } from '../config/config';
import { openConversionAdmin } from '../runtime/conversion-admin';

export type ConversionsCommand =
  | { action: 'dlq-list' }
  | { action: 'dlq-replay'; id?: string; all: boolean };

/** `leadgate conversions dlq list|replay`: conversions (and Bitrix24 reads) that need a person. */
export async function runConversionsCommand(config: Config, command: ConversionsCommand, out: (line: string) => void = console.log): Promise<void> {
  const admin = await openConversionAdmin(config);
  try {
    const letters = await admin.store.deadLetters();
    if (command.action === 'dlq-list') {
      if (letters.length === 0) out('no conversion dead letters');
      for (const l of letters) {
        const what = l.conversion ? `${l.conversion.platform} "${l.conversion.eventName}" lead ${l.conversion.leadId} (stage ${l.conversion.stage.stageId} at ${l.conversion.stage.at})` : `read ${l.read?.destination} ${l.read?.entity} ${l.read?.id}`;
        out(`${l.id}\t${l.deadAt}\t${l.code}\t${what}\t${l.reason}`);
      }
      return;
    }
    const ids = command.all ? letters.map((l) => l.id) : command.id ? [command.id] : [];
    if (ids.length === 0) throw new Error('name a dead letter id, or --all');
    let replayed = 0;
    for (const id of ids) {
      if (await admin.replay(id)) replayed++;
      else out(`no conversion dead letter ${id}`);
    }
    out(`replayed ${replayed}`);
  } finally {
    await admin.close();
  }
}
