import { createHmac } from 'node:crypto';
import { startMetaSimulator, type MetaSimulator } from '../src';

/** The simulator's Graph lists and debug_token on the wire, as Meta documents them (no leadgate code involved). */
const APP_SECRET = 'sim-secret';
const PAGE = '111111111111111';
const TOKEN = 'EAAB-page';
const FORM = '222222222222222';
const proof = (token: string) => createHmac('sha256', APP_SECRET).update(token).digest('hex');

let sim: MetaSimulator;
beforeEach(async () => {
  sim = await startMetaSimulator({ appSecret: APP_SECRET, pageTokens: { [PAGE]: TOKEN } });
});
afterEach(async () => sim.close());

async function graph(path: string, params: Record<string, string>, token = TOKEN): Promise<{ status: number; body: any }> {
  const query = new URLSearchParams({ ...params, access_token: token, appsecret_proof: proof(token) });
  const response = await fetch(`${sim.graphUrl}/v25.0/${path}?${query.toString()}`);
  return { status: response.status, body: await response.json() };
}

async function control(path: string, body: unknown): Promise<{ status: number; body: unknown }> {
  const response = await fetch(`${sim.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  const text = await response.text();
  return { status: response.status, body: text ? JSON.parse(text) : undefined };
}

describe('GET /{page-id}/leadgen_forms and /{form-id}/leads', () => {
  beforeEach(async () => {
    expect((await control('/_sim/forms', { id: FORM, page_id: PAGE, name: 'Quote' })).status).toBe(201);
    for (const [id, secondsAgo] of [['901', 30], ['902', 20], ['903', 10]] as const) {
      const created = new Date(Date.now() - secondsAgo * 1000).toISOString().replace(/\.\d{3}Z$/, '+0000');
      expect((await control('/_sim/leads', { id, page_id: PAGE, form_id: FORM, created_time: created, field_data: [] })).status).toBe(201);
    }
  });

  it('lists forms with the requested fields', async () => {
    const { status, body } = await graph(`${PAGE}/leadgen_forms`, { fields: 'id,name,status,leads_count' });
    expect(status).toBe(200);
    expect(body.data).toEqual([{ id: FORM, name: 'Quote', status: 'ACTIVE', leads_count: 3 }]);
    expect(body.paging.next).toBeUndefined();
  });

  it('pages leads newest first with cursors, and gives paging.next only while more follow', async () => {
    const first = await graph(`${FORM}/leads`, { limit: '2', fields: 'id,created_time' });
    expect(first.body.data.map((l: { id: string }) => l.id)).toEqual(['903', '902']);
    expect(first.body.paging.cursors).toEqual({ before: expect.any(String), after: expect.any(String) });
    const next = new URL(first.body.paging.next as string);
    expect(next.searchParams.get('after')).toBe(first.body.paging.cursors.after);
    const second = await graph(`${FORM}/leads`, { limit: '2', fields: 'id,created_time', after: first.body.paging.cursors.after });
    expect(second.body.data.map((l: { id: string }) => l.id)).toEqual(['901']);
    expect(second.body.paging.next).toBeUndefined();
  });

  it('filters on time_created and refuses filters it does not know', async () => {
    const since = Math.floor(Date.now() / 1000) - 15;
    const filtered = await graph(`${FORM}/leads`, { filtering: JSON.stringify([{ field: 'time_created', operator: 'GREATER_THAN', value: since }]) });
    expect(filtered.body.data.map((l: { id: string }) => l.id)).toEqual(['903']);
    const none = await graph(`${FORM}/leads`, { filtering: JSON.stringify([{ field: 'time_created', operator: 'GREATER_THAN', value: Math.floor(Date.now() / 1000) + 60 }]) });
    expect(none.body).toEqual({ data: [] });
    const bad = await graph(`${FORM}/leads`, { filtering: JSON.stringify([{ field: 'email', operator: 'EQUAL', value: 'x' }]) });
    expect(bad).toMatchObject({ status: 400, body: { error: { code: 100 } } });
  });

  it("refuses another Page's form and an unknown edge", async () => {
    sim.setPageToken('333333333333333', 'EAAB-other');
    expect(await graph(`${FORM}/leads`, {}, 'EAAB-other')).toMatchObject({ status: 400, body: { error: { code: 100, error_subcode: 33 } } });
    expect(await graph(`${FORM}/insights`, {})).toMatchObject({ status: 400, body: { error: { code: 2500 } } });
  });
});

describe('GET /debug_token and POST /_sim/tokens', () => {
  it('describes a token set through the control API, asked with the app token', async () => {
    const expiresAt = Math.floor(Date.now() / 1000) + 3 * 86400;
    expect((await control('/_sim/tokens', { token: TOKEN, expiresAt, scopes: ['pages_show_list'] })).status).toBe(204);
    const { status, body } = await graph('debug_token', { input_token: TOKEN }, sim.appToken);
    expect(status).toBe(200);
    expect(body.data).toMatchObject({ type: 'PAGE', is_valid: true, expires_at: expiresAt, scopes: ['pages_show_list'], profile_id: PAGE });
  });

  it('says is_valid false with the reason for a token made invalid, and its Graph calls fail with 190', async () => {
    await control('/_sim/tokens', { token: TOKEN, isValid: false });
    const { body } = await graph('debug_token', { input_token: TOKEN }, sim.appToken);
    expect(body.data).toMatchObject({ is_valid: false, error: { code: 190 } });
    expect(await graph(`${PAGE}/leadgen_forms`, {})).toMatchObject({ status: 400, body: { error: { code: 190, error_subcode: 467 } } });
  });

  it('refuses a bad control body', async () => {
    expect((await control('/_sim/tokens', { token: TOKEN, expiresAt: 'soon' })).status).toBe(400);
    expect((await control('/_sim/forms', { id: FORM })).status).toBe(400);
  });
});
