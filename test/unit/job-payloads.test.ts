import { readDeliverLeadJob, readFetchMetaLeadJob, UnknownPayloadError, type DeliverLeadJob, type FetchMetaLeadJob } from '../../src/queue/jobs';
import type { Lead } from '../../src/lead/lead';

const lead = { id: 'lg_old' } as Lead;

describe('job payload versions', () => {
  it('reads a version 1 delivery payload as one that needs no lookup, and the current one as it is', () => {
    expect(readDeliverLeadJob({ v: 1, lead })).toEqual({ v: 2, lead, reconcileFirst: false });
    expect(readDeliverLeadJob({ v: 2, lead, reconcileFirst: true })).toEqual({ v: 2, lead, reconcileFirst: true });
  });

  it('refuses a payload from a newer leadgate instead of guessing at it', () => {
    expect(() => readDeliverLeadJob({ v: 3, lead } as unknown as DeliverLeadJob)).toThrow(UnknownPayloadError);
    expect(() => readFetchMetaLeadJob({ v: 2 } as unknown as FetchMetaLeadJob)).toThrow(UnknownPayloadError);
  });
});
