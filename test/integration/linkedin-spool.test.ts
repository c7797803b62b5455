import { startLinkedInSimulator, type LinkedInSimulator } from '@leadgate/simulators';
import { startPrivateRedis, type PrivateRedis } from '../../src/runtime/private-redis';
import { startStack, type Stack } from '../helpers/stack';
import { sleep, waitFor } from '../helpers/wait-for';

/**
 * LinkedIn documents no retry policy for lead notifications, so a 503 while Redis is away may lose
 * the lead. Like Meta's, a LinkedIn notification is spooled on the API's disk and read once Redis is back.
 */
const SECRET = 'linkedin-client-secret-0001';
const FORM = { id: 5765977, name: 'Demo', questions: [{ questionId: 3, name: 'email', label: 'Email', predefinedField: 'EMAIL' }] };

let li: LinkedInSimulator;
let redis: PrivateRedis;
let stack: Stack;
let hook: string;

beforeAll(async () => {
  li = await startLinkedInSimulator({ clientSecret: SECRET, accessToken: 'AQV-initial' });
  li.addForm(FORM);
  redis = await startPrivateRedis();
  stack = await startStack('linkedin-spool', {
    redisUrl: redis.url,
    overrides: { sources: { linkedin: { clientId: '86abcdefghijkl', clientSecret: SECRET, accessToken: 'AQV-initial', apiUrl: li.url } } } as never,
  });
  hook = `${stack.api.url}/v1/webhooks/linkedin`;
});

afterAll(async () => {
  await stack.stop();
  await redis.destroy();
  await li.close();
});

const leadsFor = (responseId: string) => stack.sim.leads().filter((l) => String(l.fields.COMMENTS ?? '').includes(`linkedin_response_id: ${responseId}`));

describe('a LinkedIn notification while Redis is away', () => {
  it('is answered 200 spooled, a repeat of it too, and becomes one lead once Redis is back', async () => {
    li.addResponse({ id: 'spool-1', formId: FORM.id, answers: [{ questionId: 3, text: 'jane.spool@example.com' }] });
    await redis.stop('SIGKILL');
    const first = await li.sendNotification(hook, 'spool-1');
    expect(first.status).toBe(200);
    const body = (await first.json()) as { id: string; status: string };
    expect(body).toMatchObject({ status: 'spooled', id: expect.stringMatching(/^lg_/) });
    // LinkedIn may send it again: the same lead id (one in the spool), the same read job once drained.
    const repeat = (await (await li.sendNotification(hook, 'spool-1')).json()) as { id: string; status: string };
    expect(repeat).toEqual({ id: body.id, status: 'spooled' });
    expect(((await (await fetch(`${stack.api.url}/readyz`)).json()) as { spool?: { leads: number } }).spool?.leads).toBe(1);

    await redis.restart();
    await waitFor(() => leadsFor('spool-1').length > 0, 'the spooled LinkedIn lead delivered', 30_000);
    await sleep(1000);
    expect(leadsFor('spool-1')).toHaveLength(1);
    expect(leadsFor('spool-1')[0]!.fields.ORIGIN_ID).toBe(body.id);
    // Drained, the response id is remembered: a later repeat is a duplicate.
    await waitFor(async () => ((await (await li.sendNotification(hook, 'spool-1')).json()) as { status: string }).status === 'duplicate', 'the response id remembered', 10_000);
  }, 60_000);
});
