import { deliverLeadJob, readDeliverLeadJob, readFetchMetaLeadJob, UnknownPayloadError, type DeliverLeadJob, type FetchMetaLeadJob } from '../../src/queue/jobs';
import type { Lead } from '../../src/lead/lead';

const lead = { id: 'lg_old' } as Lead;

describe('job payload versions', () => {
  it('reads a version 1 delivery payload as one that needs no lookup, and the current one as it is', () => {
    expect(readDeliverLeadJob({ v: 1, lead })).toEqual({ v: 2, lead, reconcileFirst: false });
    expect(readDeliverLeadJob({ v: 2, lead, reconcileFirst: true })).toEqual({ v: 2, lead, reconcileFirst: true });
  });

  it('refuses a payload from a newer leadgate instead of guessing at it', () => {
    expect(() => readDeliverLeadJob({ v: 4, lead } as unknown as DeliverLeadJob)).toThrow(UnknownPayloadError);
    expect(() => readFetchMetaLeadJob({ v: 2 } as unknown as FetchMetaLeadJob)).toThrow(UnknownPayloadError);
  });
});

describe('payload v3: the lead packed, read back as the lead it was (issue 13: bytes per queued lead)', () => {
  const full: Lead = {
    id: 'lg_mxcvtdkde81dc8b75b648712',
    source: { kind: 'form', name: 'bench' },
    destination: 'main',
    receivedAt: '2026-12-07T06:21:00.015Z',
    fields: {
      EMAIL: [{ VALUE: 'jane.doe.1@example.com', VALUE_TYPE: 'WORK' }],
      PHONE: [{ VALUE: '+49302000001', VALUE_TYPE: 'WORK' }, { VALUE: '+49302000002', VALUE_TYPE: 'MOBILE' }],
      COMMENTS: 'Hello, we are looking for a CRM integration for our three shops.',
      NAME: 'Jane',
      OPPORTUNITY: 1200,
      TITLE: 'Web form bench: Jane Doe',
    },
    utm: { source: 'google', medium: 'cpc', campaign: 'spring_sale_2026' },
    tracking: { clickIds: { gclid: 'EAIaIQobChMIx9mE3vXk' }, pageUrl: 'https://www.example.com/landing?gclid=EAIaIQobChMIx9mE3vXk', referrer: 'https://www.example.com/', consent: 'yes' },
    extras: [],
    trackingField: 'COMMENTS',
  };

  it('reads back every shape of lead exactly', () => {
    const leads: Lead[] = [
      full,
      { ...full, source: { kind: 'meta', name: '1234', externalId: '998877' }, receivedAt: 'not an ISO time', extras: [{ label: 'Budget', value: '5k' }], trackingField: 'UF_CRM_TRACKING', test: true, utm: {}, tracking: { clickIds: {} } },
      { ...full, source: { kind: 'partner', name: 'acme', externalId: '' }, fields: {}, tracking: { clickIds: {}, touches: { attribution: 'first', first: { utm: { source: 'x' }, clickIds: {}, at: '2026-12-01T00:00:00.000Z' } } } },
    ];
    for (const l of leads) {
      const data = JSON.parse(JSON.stringify(deliverLeadJob(l))) as DeliverLeadJob;
      expect(readDeliverLeadJob(data)).toEqual({ v: 2, lead: l, reconcileFirst: false });
    }
    const replay = JSON.parse(JSON.stringify(deliverLeadJob(full, { reconcileFirst: true }))) as DeliverLeadJob;
    expect(readDeliverLeadJob(replay)).toEqual({ v: 2, lead: full, reconcileFirst: true });
  });

  it('is at least a fifth shorter than the lead as v2 carried it', () => {
    const v2 = JSON.stringify({ v: 2, lead: full, reconcileFirst: false }).length;
    expect(JSON.stringify(deliverLeadJob(full)).length).toBeLessThan(v2 * 0.8);
  });
});
