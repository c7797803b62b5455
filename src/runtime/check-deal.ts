/**
 * `leadgate check` for an `entity: deal` destination: each mapped field is looked for where the
 * deal mapping puts it (the contact's schema, the deal's, or both), required deal and contact fields
 * must be filled, and the configured pipeline and stage must exist on the portal.
 */
import type { Bitrix24Client } from '../clients/bitrix24/bitrix24-client';
import { dealTargetOf } from '../clients/bitrix24/map-deal';
import type { Config, DestinationConfig } from '../config/config';
import { configuredFieldUses } from '../config/field-uses';
import { fieldsLeadgateFills, leadFieldProblems } from './check-fields';

/** Deal fields leadgate always writes (the contact link, the placement) or the portal fills itself. */
const DEAL_ALWAYS = ['CONTACT_IDS', 'CONTACT_ID', 'CATEGORY_ID', 'STAGE_ID', 'COMMENTS'];

export interface CheckOutput {
  ok(line: string): void;
  warn(line: string): void;
  fail(line: string): void;
}

export async function checkDealDestination(client: Pick<Bitrix24Client, 'call'>, config: Config, name: string, target: DestinationConfig, out: CheckOutput): Promise<void> {
  let dealFields: Record<string, unknown>;
  let contactFields: Record<string, unknown>;
  try {
    [dealFields, contactFields] = await Promise.all([client.call<Record<string, unknown>>('crm.deal.fields', {}), client.call<Record<string, unknown>>('crm.contact.fields', {})]);
  } catch (err) {
    out.fail(`destination ${name}: crm.deal.fields / crm.contact.fields: ${(err as Error).message}`);
    return;
  }
  out.ok(`destination ${name}: creates deals; the portal answers crm.deal.fields (${Object.keys(dealFields).length} deal fields) and crm.contact.fields (${Object.keys(contactFields).length})`);

  for (const use of configuredFieldUses(config).fields.filter((f) => f.destination === name)) {
    const codes = use.code === 'FULL_NAME' ? ['NAME', 'LAST_NAME'] : [use.code];
    for (const code of codes) {
      const where = dealTargetOf(code);
      if (where === 'comments') {
        out.warn(`destination ${name}: lead field ${code} (${use.usedBy}) has no place on a deal or a contact; its value is written into the deal's COMMENTS`);
        continue;
      }
      if ((where === 'deal' || where === 'both') && !(code in dealFields)) out.fail(`destination ${name}: deal field ${code} (${use.usedBy}) does not exist on this portal; Bitrix24 would silently drop its value`);
      if ((where === 'contact' || where === 'both') && !(code in contactFields)) out.fail(`destination ${name}: contact field ${code} (${use.usedBy}) does not exist on this portal; Bitrix24 would silently drop its value`);
    }
  }

  const fills = [...fieldsLeadgateFills(config, name)];
  const onDeal = new Set([...DEAL_ALWAYS, ...fills.filter((c) => ['deal', 'both'].includes(dealTargetOf(c)))]);
  const onContact = new Set(fills.filter((c) => ['contact', 'both'].includes(dealTargetOf(c))));
  for (const problem of leadFieldProblems(config, name, dealFields, { entity: 'deal', fills: onDeal })) out.fail(`destination ${name}: ${problem}`);
  for (const problem of leadFieldProblems(config, name, contactFields, { entity: 'contact', fills: onContact })) out.fail(`destination ${name}: ${problem}`);

  const category = target.deal?.categoryId ?? 0;
  const entityId = category === 0 ? 'DEAL_STAGE' : `DEAL_STAGE_${category}`;
  try {
    const stages = (await client.call<Array<{ STATUS_ID: string }>>('crm.status.list', { filter: { ENTITY_ID: entityId } })).map((s) => s.STATUS_ID);
    if (stages.length === 0) out.fail(`destination ${name}: deal pipeline ${category} (deal.categoryId) does not exist on this portal (crm.status.list ${entityId} is empty)`);
    else if (target.deal?.stageId !== undefined && !stages.includes(target.deal.stageId)) {
      out.fail(`destination ${name}: deal stage "${target.deal.stageId}" (deal.stageId) is not one of pipeline ${category}'s: ${stages.join(', ')}`);
    } else out.ok(`destination ${name}: new deals start in pipeline ${category} at ${target.deal?.stageId ?? `its first stage (${stages[0]})`}`);
  } catch (err) {
    out.fail(`destination ${name}: crm.status.list ${entityId}: ${(err as Error).message}`);
  }
}
