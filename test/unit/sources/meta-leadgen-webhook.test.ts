import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import schema from '../../../schemas/meta-webhook.schema.json';
import { MetaWebhookError, parseLeadgenWebhook } from '../../../src/sources/meta/leadgen-webhook';

const fixture = (name: string) => readFileSync(join(__dirname, '../../fixtures/meta', name));

function problemsOf(body: unknown): string[] {
  try {
    parseLeadgenWebhook(JSON.stringify(body));
  } catch (err) {
    if (err instanceof MetaWebhookError) return err.problems.map((p) => `${p.field}: ${p.message}`);
    throw err;
  }
  throw new Error('expected a MetaWebhookError');
}

describe('parseLeadgenWebhook', () => {
  it("turns Meta's documented sample (one entry, two leads) into two notifications", () => {
    expect(parseLeadgenWebhook(fixture('webhook-two-leads.json'))).toEqual([
      { leadgenId: '123123123123', pageId: '123123123', formId: '12312312312', adgroupId: '12312312312', adId: '12312312312', createdTime: 1440120384 },
      { leadgenId: '123123123124', pageId: '123123123', formId: '12312312312', adgroupId: '12312312312', adId: '12312312312', createdTime: 1440120384 },
    ]);
  });

  it('reads a Lead Ads Testing Tool notification, which has no ad_id or adgroup_id', () => {
    expect(parseLeadgenWebhook(fixture('webhook-test-tool.json'))).toEqual([
      { leadgenId: '233370042045345', pageId: '138124712925158', formId: '172036835026334', createdTime: 1630087926 },
    ]);
  });

  it('keeps 19-digit ids sent as JSON numbers intact', () => {
    expect(parseLeadgenWebhook(fixture('webhook-numeric-19-digit-ids.json'))).toEqual([
      {
        leadgenId: '9223372036854775807', pageId: '1234567890123456789', formId: '1000000000000000001',
        adgroupId: '23849853425890183', adId: '23849853425890185', createdTime: 1630087926,
      },
    ]);
  });

  it('takes every leadgen change of every entry, skips other fields, and falls back to the entry id for the page', () => {
    const body = {
      object: 'page',
      entry: [
        { id: '1', time: 1, changes: [{ field: 'leadgen', value: { leadgen_id: '11' } }, { field: 'feed', value: { item: 'post' } }] },
        { id: '2', time: 1, changes: [{ field: 'leadgen', value: { leadgen_id: '21', page_id: '2' } }, { field: 'leadgen', value: { leadgen_id: '22', page_id: '2' } }] },
      ],
    };
    expect(parseLeadgenWebhook(JSON.stringify(body)).map((n) => `${n.pageId}/${n.leadgenId}`)).toEqual(['1/11', '2/21', '2/22']);
  });

  it('acknowledges a body for another object with no notifications (so Meta stops retrying it)', () => {
    expect(parseLeadgenWebhook('{"object":"user","entry":[{"id":"1","changed_fields":["email"]}]}')).toEqual([]);
  });

  it('lists every structural problem with its path', () => {
    expect(problemsOf({ object: 'page', entry: [{ time: 1, changes: [{ field: 'leadgen', value: { page_id: 'abc' } }] }, { id: '5', changed_fields: ['leadgen'] }] })).toEqual([
      '/entry/0/id: is required',
      '/entry/0/changes/0/value/leadgen_id: is required',
      '/entry/0/changes/0/value/page_id: must match pattern "^[0-9]{1,32}$"',
      '/entry/1/changes: is required',
    ]);
  });

  it('refuses ids that are not digits (they end up in a Graph API URL) and float-rounded ids', () => {
    expect(problemsOf({ object: 'page', entry: [{ id: '1', changes: [{ field: 'leadgen', value: { leadgen_id: '../me/accounts' } }] }] }))
      .toEqual(['/entry/0/changes/0/value/leadgen_id: must match pattern "^[0-9]{1,32}$"']);
    expect(() => parseLeadgenWebhook('{"object":"page","entry":[{"id":"1","changes":[{"field":"leadgen","value":{"leadgen_id":1.2345678901234567e18}}]}]}'))
      .toThrow(MetaWebhookError);
  });

  it('accepts every example published in schemas/meta-webhook.schema.json', () => {
    for (const example of schema.examples) expect(parseLeadgenWebhook(JSON.stringify(example)).length).toBeGreaterThan(0);
  });

  it('refuses a body that is not JSON or not an object', () => {
    expect(() => parseLeadgenWebhook('not json')).toThrow(/is not valid JSON/);
    expect(problemsOf([1, 2])).toEqual(['/: must be object']);
  });
});
