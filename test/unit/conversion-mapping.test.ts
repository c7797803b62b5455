import { conversionsFor, type MappingInput } from '../../src/worker/conversion-mapping';
import { conversionId } from '../../src/lead/conversion';
import { conversionIdentity } from '../../src/lead/conversion-identity';

const config: MappingInput['config'] = {
  leadStatuses: { NEW: { meta: 'Lead', value: false }, IN_PROCESS: { meta: 'Qualified', google: 'Qualified lead', value: false }, PROCESSED: { meta: 'Qualified', value: false } },
  dealStages: { WON: { meta: 'Converted', google: 'Sale', value: true } },
  meta: { datasetId: '1', accessToken: 't', graphUrl: 'x', graphVersion: 'v25.0', leadEventSource: 'Bitrix24', batchSize: 10, lingerMs: 0, timeoutMs: 1000 },
  google: { customerId: '1234567890', ingestUrl: 'x', conversionActions: {}, exportTimeZone: '+0000', batchSize: 10, lingerMs: 0, validateOnly: false, timeoutMs: 1000 },
};
const click = { key: 'gclid' as const, value: 'Cj0KCQ-abc', clickAt: '2026-12-01T10:00:00.000Z' };

function input(entries: MappingInput['entries'], identity: MappingInput['identity'] = { metaLeadId: '1234567890123456', google: click }): MappingInput {
  return { leadId: 'lg_1', destination: 'main', identity, entries, value: { amount: 1200, currency: 'EUR' }, config };
}

describe('conversion mapping: Bitrix24 stages → platform events', () => {
  it('maps each entered stage to its events, keeping the first time an event is reached', () => {
    const found = conversionsFor(input([
      { entity: 'lead', crmId: 7, stageId: 'NEW', at: '2026-12-05T10:00:00+03:00' },
      { entity: 'lead', crmId: 7, stageId: 'IN_PROCESS', at: '2026-12-05T11:00:00+03:00' },
      { entity: 'lead', crmId: 7, stageId: 'PROCESSED', at: '2026-12-05T12:00:00+03:00' },
      { entity: 'lead', crmId: 7, stageId: 'IN_PROCESS', at: '2026-12-05T13:00:00+03:00' },
      { entity: 'deal', crmId: 3, stageId: 'WON', at: '2026-12-06T09:00:00Z' },
    ]));
    expect(found.map((c) => [c.platform, c.eventName, c.stage.stageId, c.stage.at])).toEqual([
      ['meta', 'Lead', 'NEW', '2026-12-05T07:00:00.000Z'],
      ['meta', 'Qualified', 'IN_PROCESS', '2026-12-05T08:00:00.000Z'],
      ['google', 'Qualified lead', 'IN_PROCESS', '2026-12-05T08:00:00.000Z'],
      ['meta', 'Converted', 'WON', '2026-12-06T09:00:00.000Z'],
      ['google', 'Sale', 'WON', '2026-12-06T09:00:00.000Z'],
    ]);
    // Deterministic ids: the same lead, platform and event give the same id on every path.
    expect(found[1]!.id).toBe(conversionId('lg_1', 'meta', 'Qualified'));
    expect(found[3]).toMatchObject({ value: { amount: 1200, currency: 'EUR' }, metaLeadId: '1234567890123456' });
    expect(found[1]!.value).toBeUndefined();
    expect(found[4]!.click).toEqual(click);
  });

  it('sends to Meta only with a Meta lead id and to Google only with a click id', () => {
    const entries = [{ entity: 'lead' as const, crmId: 7, stageId: 'IN_PROCESS', at: '2026-12-05T11:00:00Z' }];
    expect(conversionsFor(input(entries, { google: click })).map((c) => c.platform)).toEqual(['google']);
    expect(conversionsFor(input(entries, { metaLeadId: '1234567890123456' })).map((c) => c.platform)).toEqual(['meta']);
    expect(conversionsFor(input([{ entity: 'lead', crmId: 7, stageId: 'JUNK', at: '2026-12-05T11:00:00Z' }]))).toEqual([]);
  });

  it('ignores stage ids that only exist on Object.prototype', () => {
    expect(conversionsFor(input([{ entity: 'lead', crmId: 7, stageId: 'constructor', at: '2026-12-05T11:00:00Z' }]))).toEqual([]);
  });
});

describe('conversion identity of a lead', () => {
  const base = { receivedAt: '2026-12-05T10:00:00.000Z' };
  it('keeps the Meta lead id of a Lead Ads lead', () => {
    expect(conversionIdentity({ ...base, source: { kind: 'meta', name: 'p', externalId: '1234567890123456' }, tracking: { clickIds: {} } })).toEqual({ metaLeadId: '1234567890123456' });
  });
  it('takes the Google click id with the time of the touch that carried it, else the receipt', () => {
    const touch = { utm: {}, clickIds: { wbraid: 'WB-1' }, at: '2026-12-01T08:00:00.000Z' };
    expect(conversionIdentity({ ...base, source: { kind: 'form', name: 'f' }, tracking: { clickIds: { wbraid: 'WB-1' }, touches: { attribution: 'last', first: touch, last: touch } } }))
      .toEqual({ google: { key: 'wbraid', value: 'WB-1', clickAt: '2026-12-01T08:00:00.000Z' } });
    expect(conversionIdentity({ ...base, source: { kind: 'google', name: 'g' }, tracking: { clickIds: { gclid: 'G-1' } } })).toEqual({ google: { key: 'gclid', value: 'G-1', clickAt: base.receivedAt } });
    expect(conversionIdentity({ ...base, source: { kind: 'partner', name: 'p' }, tracking: { clickIds: { fbclid: 'x' } } })).toBeUndefined();
  });
});
