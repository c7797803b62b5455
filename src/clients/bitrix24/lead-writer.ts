import type { Bitrix24Client } from './bitrix24-client';
import { MAX_BATCH_COMMANDS } from './bitrix24-client';
import type { CrmWriter, EntityToWrite, OriginMatch, WriteResult } from './crm-writer';

/** Each lead becomes a Bitrix24 lead: crm.lead.add alone, or up to 50 in a `batch` (halt=0). */
export class LeadWriter implements CrmWriter {
  readonly entity = 'lead' as const;
  readonly leadsPerRequest = MAX_BATCH_COMMANDS;
  readonly listMethod = 'crm.lead.list';
  readonly deleteMethod = 'crm.lead.delete';

  constructor(private readonly client: Pick<Bitrix24Client, 'addLead' | 'addLeads' | 'findLeadsByOrigin' | 'deleteLead'>) {}

  addMethod(count: number): string {
    return count === 1 ? 'crm.lead.add' : 'batch';
  }

  async add(items: EntityToWrite[], signal?: AbortSignal): Promise<Map<string, WriteResult>> {
    const results = new Map<string, WriteResult>();
    if (items.length === 1) {
      // A lone lead goes out as a plain crm.lead.add: its failure is the request's, thrown as such.
      const [only] = items as [EntityToWrite];
      results.set(only.key, { created: { id: await this.client.addLead(only.fields, {}, signal) } });
      return results;
    }
    for (const [key, result] of await this.client.addLeads(items, signal)) {
      results.set(key, 'leadId' in result ? { created: { id: result.leadId } } : result);
    }
    return results;
  }

  async findByOrigin(originatorId: string, originIds: string[], signal?: AbortSignal): Promise<Map<string, OriginMatch>> {
    const found = await this.client.findLeadsByOrigin(originatorId, originIds, signal);
    return new Map([...found].map(([origin, ids]) => [origin, { created: ids.map((id) => ({ id })) }]));
  }

  async removeCopy(copy: { id: number }, _kept: unknown, signal?: AbortSignal): Promise<void> {
    await this.client.deleteLead(copy.id, signal);
  }
}
