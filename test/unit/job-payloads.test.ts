import { deliverLeadJob, JobIdRequiredError, readDeliverLeadJob, readFetchMetaLeadJob, UnknownPayloadError, type DeliverLeadJob, type FetchMetaLeadJob } from '../../src/queue/jobs';
import type { Lead } from '../../src/lead/lead';
import { packLead } from '../../src/queue/packed-lead';

const lead = { id: 'lg_old' } as Lead;

describe('job payload versions', () => {
  it('reads a version 1 delivery payload as one that needs no lookup, and the current one as it is', () => {
    expect(readDeliverLeadJob({ v: 1, lead }, 'lg_old')).toEqual({ v: 2, lead, reconcileFirst: false });
    expect(readDeliverLeadJob({ v: 2, lead, reconcileFirst: true }, 'lg_old')).toEqual({ v: 2, lead, reconcileFirst: true });
  });

  it('refuses a payload from a newer leadgate instead of guessing at it', () => {
    expect(() => readDeliverLeadJob({ v: 5, lead } as unknown as DeliverLeadJob, 'lg_old')).toThrow(UnknownPayloadError);
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
      expect(readDeliverLeadJob(data, l.id)).toEqual({ v: 2, lead: l, reconcileFirst: false });
      // The v3 payload an earlier version queued (the lead id inside it) is still read.
      const v3 = JSON.parse(JSON.stringify({ v: 3, l: packLead(l) })) as DeliverLeadJob;
      expect(readDeliverLeadJob(v3, undefined)).toEqual({ v: 2, lead: l, reconcileFirst: false });
    }
    const replay = JSON.parse(JSON.stringify(deliverLeadJob(full, { reconcileFirst: true }))) as DeliverLeadJob;
    expect(readDeliverLeadJob(replay, full.id)).toEqual({ v: 2, lead: full, reconcileFirst: true });
  });

  it('payload v4 leaves the lead id to the job id and writes UTM keys as letters; without the job id it is refused', () => {
    const data = deliverLeadJob(full);
    expect(data).toMatchObject({ v: 4, l: { u: { s: 'google', m: 'cpc', c: 'spring_sale_2026' } } });
    expect(JSON.stringify(data)).not.toContain(full.id);
    expect(() => readDeliverLeadJob(data, undefined)).toThrow(JobIdRequiredError);
    // A UTM key of its own that reads as a letter: the v3 payload, exactly.
    const odd = { ...full, utm: { ...full.utm, s: 'x' } as Lead['utm'] };
    expect(deliverLeadJob(odd).v).toBe(3);
    expect(readDeliverLeadJob(JSON.parse(JSON.stringify(deliverLeadJob(odd))) as DeliverLeadJob, full.id).lead).toEqual(odd);
  });

  it('is at least a fifth shorter than the lead as v2 carried it', () => {
    const v2 = JSON.stringify({ v: 2, lead: full, reconcileFirst: false }).length;
    expect(JSON.stringify(deliverLeadJob(full)).length).toBeLessThan(v2 * 0.8);
  });
});
