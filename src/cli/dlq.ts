import type { Config } from '../config/config';
import { openDeadLetters } from '../runtime/services';

export type DlqCommand =
  | { action: 'list'; limit: number }
  | { action: 'show'; id: string }
  | { action: 'replay'; id?: string; all: boolean }
  | { action: 'purge'; confirmed: boolean };

/** Prints JSON (one object per line for lists) so operators can pipe it into jq. */
export async function runDlqCommand(config: Config, command: DlqCommand, out: (line: string) => void = console.log): Promise<void> {
  const { dlq, close } = await openDeadLetters(config);
  try {
    switch (command.action) {
      case 'list': {
        const entries = await dlq.list(0, command.limit);
        for (const e of entries) {
          out(JSON.stringify({ id: e.lead.id, destination: e.lead.destination, source: `${e.lead.source.kind}:${e.lead.source.name}`, deadAt: e.deadAt, code: e.code, reason: e.reason, attempts: e.attempts.length }));
        }
        out(`# ${entries.length} of ${await dlq.count()} dead letters`);
        break;
      }
      case 'show': {
        const entry = await dlq.show(command.id);
        if (!entry) throw new Error(`no dead letter ${command.id}`);
        // Operators need the lead to fix it; this is their terminal, not a log.
        out(JSON.stringify(entry, null, 2));
        break;
      }
      case 'replay': {
        if (command.all) out(`replayed ${await dlq.replayAll()} dead letters`);
        else if (command.id) {
          if (!(await dlq.replay(command.id))) throw new Error(`no dead letter ${command.id}`);
          out(`replayed ${command.id}`);
        } else throw new Error('give a lead id or --all');
        break;
      }
      case 'purge': {
        if (!command.confirmed) throw new Error(`this deletes ${await dlq.count()} dead letters for good; add --yes`);
        out(`purged ${await dlq.purge()} dead letters`);
        break;
      }
    }
  } finally {
    await close();
  }
}
