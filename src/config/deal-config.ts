import type { Config } from './config';

/**
 * `deal` settings that cannot work, found at load: deal settings on a lead destination, and a stage
 * of another pipeline (Bitrix24 names the stages of pipeline n C<n>:…; the general pipeline's have
 * no prefix). Whether the pipeline and stage exist on the portal is `leadgate check`'s question.
 */
export function dealDestinationProblems(config: Config): string[] {
  const problems: string[] = [];
  for (const [name, destination] of Object.entries(config.destinations)) {
    const deal = destination.deal;
    if (!deal) continue;
    if (destination.entity !== 'deal') {
      problems.push(`/destinations/${name}/deal: only used with entity: deal (this destination creates leads)`);
      continue;
    }
    const category = deal.categoryId ?? 0;
    const prefix = /^C(\d+):/.exec(deal.stageId ?? '');
    if (deal.stageId !== undefined && (prefix ? Number(prefix[1]) : 0) !== category) {
      const expected = category === 0 ? 'a stage of the general pipeline has no C<n>: prefix' : `stages of pipeline ${category} are named C${category}:…`;
      problems.push(`/destinations/${name}/deal/stageId: "${deal.stageId}" is not a stage of pipeline ${category} (${expected})`);
    }
  }
  return problems;
}
