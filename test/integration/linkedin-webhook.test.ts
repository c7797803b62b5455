import { Queue } from 'bullmq';
import { startLinkedInSimulator, type LinkedInSimulator } from '@leadgate/simulators';
import { deliveryQueueName } from '../../src/queue/jobs';
import { LINKEDIN_LEADS_QUEUE } from '../../src/queue/linkedin-lead-queue';
import { startStack, type Stack } from '../helpers/stack';
import { sleep, waitFor } from '../helpers/wait-for';

const SECRET = 'linkedin-client-secret-0001';
let li: LinkedInSimulator;
let stack: Stack;
let hook: string;

const FORM = {
  id: 5765977,
  name: 'Demo request',
  questions: [
    { questionId: 1, name: 'firstName', label: 'First name', predefinedField: 'FIRST_NAME' },
    { questionId: 2, name: 'lastName', label: 'Last name', predefinedField: 'LAST_NAME' },
    { questionId: 3, name: 'email', label: 'Email address', predefinedField: 'EMAIL' },
    { questionId: 4, name: 'company', label: 'Company name', predefinedField: 'COMPANY_NAME' },
    { questionId: 5, name: 'seats', label: 'How many seats?', options: [{ id: 1, label: '1-10' }, { id: 2, label: '11-50' }] },
    { questionId: 6, name: 'budget', label: 'Budget' },
  ],
  consents: [{ consentId: 7, text: 'I agree to be contacted' }],
};

function response(id: string, extra: Record<string, unknown> = {}) {
  return {
    id,
    formId: FORM.id,
    answers: [
      { questionId: 1, text: 'Jane' },
      { questionId: 2, text: 'Doe' },
      { questionId: 3, text: `jane.${id}@example.com` },
      { questionId: 4, text: 'Acme' },
      { questionId: 5, options: [2] },
      { questionId: 6, text: '10k' },
    ],
    consents: [{ consentId: 7, accepted: true }],
    ...extra,
  };
}

beforeAll(async () => {
  li = await startLinkedInSimulator({ clientSecret: SECRET, accessToken: 'AQV-initial', refreshToken: 'AQW-refresh' });
  li.addForm(FORM);
  stack = await startStack('linkedin', {
    overrides: {
      sources: {
        partners: {},
        linkedin: {
          clientId: '86abcdefghijkl', clientSecret: SECRET, accessToken: 'AQV-initial', refreshToken: 'AQW-refresh',
          apiUrl: li.url, tokenUrl: `${li.url}/oauth/v2/accessToken`, fieldMap: { budget: 'UF_CRM_BUDGET' },
        },
      },
    } as never,
  });
  hook = `${stack.api.url}/v1/webhooks/linkedin`;
});

afterAll(async () => {
  await stack.stop();
  await li.close();
});

const leadsFor = (responseId: string) => stack.sim.leads().map((l) => l.fields).filter((f) => String(f.COMMENTS ?? '').includes(`linkedin_response_id: ${responseId}`));
const delivered = (responseId: string) => waitFor(() => (leadsFor(responseId).length > 0 ? leadsFor(responseId) : undefined), `the lead of ${responseId}`, 15_000);

async function jobsIn(queueName: string): Promise<number> {
  const queue = new Queue(queueName, { connection: { url: stack.config.redis.url }, prefix: stack.prefix });
  const counts = await queue.getJobCounts();
  await queue.close();
  return Object.values(counts).reduce((a, b) => a + b, 0);
}

describe('LinkedIn Lead Gen Forms', () => {
  it("passes LinkedIn's URL validation: the HMAC of the challenge code, as JSON, within 3 s", async () => {
    const answer = await li.sendChallenge(hook);
    expect(answer).toMatchObject({ ok: true, status: 200 });
  });

  it('refuses a validation request without a proper challengeCode', async () => {
    const response = await fetch(`${hook}?challengeCode=%3Cscript%3E`);
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({ error: 'malformed_challenge' });
  });

  it('reads a signed notification from the Lead Sync API and delivers it, questions mapped', async () => {
    li.addResponse(response('3e1f-a1'));
    const answer = await li.sendNotification(hook, '3e1f-a1');
    expect(answer.status).toBe(200);
    expect(await answer.json()).toMatchObject({ status: 'queued', id: expect.stringMatching(/^lg_/) });
    const [fields] = await delivered('3e1f-a1');
    expect(fields).toMatchObject({
      NAME: 'Jane',
      LAST_NAME: 'Doe',
      EMAIL: [{ VALUE: 'jane.3e1f-a1@example.com', VALUE_TYPE: 'WORK' }],
      COMPANY_TITLE: 'Acme',
      UF_CRM_BUDGET: '10k',
      SOURCE_ID: 'ADVERTISING',
      UTM_SOURCE: 'linkedin',
      UTM_MEDIUM: 'paid_social',
      UTM_CAMPAIGN: '259483736',
      UTM_CONTENT: '198765432',
      TITLE: 'LinkedIn lead: Jane Doe',
    });
    const comments = String(fields?.COMMENTS);
    expect(comments).toContain('How many seats?: 11-50');
    expect(comments).toContain('consent I agree to be contacted: accepted');
    expect(li.calls().every((c) => c.version === '202601')).toBe(true);
  });

  it('creates nothing for a wrong or missing signature', async () => {
    li.addResponse(response('3e1f-bad'));
    const before = await jobsIn(LINKEDIN_LEADS_QUEUE);
    const wrong = await li.sendNotification(hook, '3e1f-bad', { signWith: 'not-the-secret-000' });
    expect(wrong.status).toBe(403);
    expect(await wrong.json()).toMatchObject({ error: 'signature_invalid' });
    const missing = await li.sendNotification(hook, '3e1f-bad', { signWith: false });
    expect(missing.status).toBe(401);
    await sleep(300);
    expect(await jobsIn(LINKEDIN_LEADS_QUEUE)).toBe(before);
    expect(leadsFor('3e1f-bad')).toHaveLength(0);
  });

  it('a redelivered notification creates nothing', async () => {
    li.addResponse(response('3e1f-rep'));
    expect((await li.sendNotification(hook, '3e1f-rep')).status).toBe(200);
    await delivered('3e1f-rep');
    const again = await li.sendNotification(hook, '3e1f-rep');
    expect(await again.json()).toMatchObject({ status: 'duplicate' });
    await sleep(300);
    expect(leadsFor('3e1f-rep')).toHaveLength(1);
  });

  it('refreshes an expired token once and reads on', async () => {
    li.addResponse(response('3e1f-exp'));
    li.expireToken();
    const expiredToken = li.accessToken();
    expect((await li.sendNotification(hook, '3e1f-exp')).status).toBe(200);
    await delivered('3e1f-exp');
    expect(li.accessToken()).not.toBe(expiredToken);
    expect(li.calls().some((c) => c.status === 401 && c.token === expiredToken)).toBe(true);
  });

  it('DELETED removes the lead leadgate still holds: a read not yet done never becomes a lead', async () => {
    const paused = new Queue(LINKEDIN_LEADS_QUEUE, { connection: { url: stack.config.redis.url }, prefix: stack.prefix });
    await paused.pause();
    try {
      li.addResponse(response('3e1f-del'));
      expect((await li.sendNotification(hook, '3e1f-del')).status).toBe(200);
      expect(await paused.getJob('linkedin-3e1f-del')).toBeDefined();
      const deleted = await li.sendNotification(hook, '3e1f-del', { action: 'DELETED' });
      expect(deleted.status).toBe(200);
      expect(await deleted.json()).toMatchObject({ status: 'deleted' });
      expect(await paused.getJob('linkedin-3e1f-del')).toBeUndefined();
      // A late redelivery of CREATED does not bring it back.
      expect(await (await li.sendNotification(hook, '3e1f-del')).json()).toMatchObject({ status: 'duplicate' });
    } finally {
      await paused.resume();
      await paused.close();
    }
    await sleep(500);
    expect(leadsFor('3e1f-del')).toHaveLength(0);
  });

  it('DELETED of a lead still waiting for delivery takes it off the delivery queue', async () => {
    const delivery = new Queue(deliveryQueueName('main'), { connection: { url: stack.config.redis.url }, prefix: stack.prefix });
    await delivery.pause();
    try {
      li.addResponse(response('3e1f-del2'));
      expect((await li.sendNotification(hook, '3e1f-del2')).status).toBe(200);
      const { id } = await waitFor(async () => (await delivery.getJobs(['wait', 'prioritized'])).find((j) => JSON.stringify(j.data).includes('3e1f-del2')), 'the delivery job');
      expect((await li.sendNotification(hook, '3e1f-del2', { action: 'DELETED' })).status).toBe(200);
      expect(await delivery.getJob(id!)).toBeUndefined();
      const status = await fetch(`${stack.api.url}/v1/leads/${id}`, { headers: { authorization: 'Bearer admin-secret' } });
      expect(status.status).toBe(404);
    } finally {
      await delivery.resume();
      await delivery.close();
    }
    await sleep(500);
    expect(leadsFor('3e1f-del2')).toHaveLength(0);
  });

  it('dead-letters a response LinkedIn does not know, with a reason, and acknowledges other notification types', async () => {
    expect((await li.sendNotification(hook, 'unknown-9')).status).toBe(200);
    const dead = await waitFor(async () => {
      const r = await fetch(`${stack.api.url}/v1/leads/${(await (await li.sendNotification(hook, 'unknown-9')).json() as { id: string }).id}`, { headers: { authorization: 'Bearer admin-secret' } });
      const body = (await r.json()) as { status?: string };
      return body.status === 'dead' ? body : undefined;
    }, 'the dead letter');
    expect(dead).toMatchObject({ status: 'dead' });
    const other = await li.sendNotification(hook, 'x', { body: JSON.stringify({ type: 'SOMETHING_ELSE' }) });
    expect(await other.json()).toEqual({ status: 'ignored' });
  });
});
