import { buildConfig } from '../../src/config/load-config';

const webhookUrl = 'https://example.bitrix24.com/rest/1/abc/';
const load = (main: Record<string, unknown>) => buildConfig({ redis: { url: 'redis://127.0.0.1:6379' }, destinations: { main: { webhookUrl, ...main } }, forms: {} }, {});
const problems = (main: Record<string, unknown>): string[] => {
  try {
    load(main);
    return [];
  } catch (err) {
    return (err as { problems?: string[] }).problems ?? [(err as Error).message];
  }
};

describe('destination entity and deal settings', () => {
  it('a destination creates leads unless it says entity: deal', () => {
    expect(load({}).destinations.main!.entity).toBe('lead');
    expect(load({ entity: 'deal', deal: { categoryId: 4, stageId: 'C4:NEW' } }).destinations.main).toMatchObject({ entity: 'deal', deal: { categoryId: 4, stageId: 'C4:NEW' } });
  });

  it('refuses deal settings on a lead destination and a stage of another pipeline', () => {
    expect(problems({ deal: { categoryId: 1 } }).join('\n')).toContain('/destinations/main/deal: only used with entity: deal');
    expect(problems({ entity: 'deal', deal: { categoryId: 4, stageId: 'NEW' } }).join('\n')).toContain('stages of pipeline 4 are named C4:');
    expect(problems({ entity: 'deal', deal: { stageId: 'C4:NEW' } }).join('\n')).toContain('not a stage of pipeline 0');
    expect(problems({ entity: 'contact' }).join('\n')).toContain('entity');
  });
});
