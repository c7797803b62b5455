import type { Bitrix24Client } from '../clients/bitrix24/bitrix24-client';
import type { ConversionsConfig } from '../config/conversions-config';

/** The crm.status.list reference list holding a deal stage: DEAL_STAGE, or DEAL_STAGE_<n> for pipeline n ("C<n>:WON"). */
function dealStageList(stageId: string): string {
  const pipeline = /^C([0-9]+):/.exec(stageId);
  return pipeline ? `DEAL_STAGE_${pipeline[1]}` : 'DEAL_STAGE';
}

/**
 * `leadgate check` for the conversion loop: every mapped lead status and deal stage must be one the
 * portal has (crm.status.list), else the mapping never fires. Resolves the problems found and how
 * many mapped values were confirmed.
 */
export async function conversionStageProblems(client: Pick<Bitrix24Client, 'call'>, conversions: ConversionsConfig): Promise<{ problems: string[]; confirmed: number }> {
  const wanted = new Map<string, Array<{ value: string; path: string }>>();
  const want = (list: string, value: string, path: string) => wanted.set(list, [...(wanted.get(list) ?? []), { value, path }]);
  for (const id of Object.keys(conversions.leadStatuses)) want('STATUS', id, `conversions.leadStatuses.${id}`);
  for (const id of Object.keys(conversions.dealStages)) want(dealStageList(id), id, `conversions.dealStages.${id}`);
  const problems: string[] = [];
  let confirmed = 0;
  for (const [list, uses] of wanted) {
    let values: Set<string>;
    try {
      const items = await client.call<Array<{ STATUS_ID: string }>>('crm.status.list', { filter: { ENTITY_ID: list } });
      values = new Set((items ?? []).map((i) => i.STATUS_ID));
    } catch (err) {
      problems.push(`crm.status.list ${list}: ${(err as Error).message}`);
      continue;
    }
    for (const use of uses) {
      if (values.has(use.value)) confirmed++;
      else problems.push(`${use.path}: "${use.value}" is not a ${list === 'STATUS' ? 'lead status' : 'deal stage'} of this portal (${list}: ${[...values].join(', ') || 'none'}); the mapping would never fire`);
    }
  }
  return { problems, confirmed };
}
