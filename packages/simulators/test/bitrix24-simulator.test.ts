import { startBitrix24Simulator, type Bitrix24Simulator } from '../src/bitrix24/bitrix24-simulator';
import { callForm, callGet, callJson, lead } from './rest-client';

type Lead = Record<string, unknown>;

describe('Bitrix24 simulator: webhook REST surface', () => {
  let sim: Bitrix24Simulator;

  beforeEach(async () => {
    sim = await startBitrix24Simulator();
  });
  afterEach(async () => {
    await sim.close();
  });

  describe('webhook URLs', () => {
    it('exposes the incoming-webhook base URL /rest/USER/CODE/', () => {
      expect(sim.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      expect(sim.webhookUrl).toBe(`${sim.url}/rest/1/leadgatesim/`);
    });

    it.each([
      ['plain', 'crm.lead.add'],
      ['.json suffix', 'crm.lead.add.json'],
      ['trailing slash (PHP SDK style)', 'crm.lead.add/'],
      ['any case (Bitrix lower-cases the method)', 'CRM.Lead.Add'],
    ])('accepts the method path %s', async (_label, path) => {
      const res = await callJson<number>(sim.webhookUrl, path, lead({ TITLE: 'x' }));
      expect(res.status).toBe(200);
      expect(res.body.result).toBe(1);
    });

    it('accepts GET with the PHP-bracket query string from the data-encoding docs', async () => {
      const res = await callGet<number>(
        `${sim.webhookUrl}crm.lead.add.json?fields[TITLE]=My%20company&fields[PHONE][0][VALUE]=112233` +
          '&fields[PHONE][0][VALUE_TYPE]=WORK&fields[PHONE][1][VALUE]=555888112&fields[PHONE][1][VALUE_TYPE]=OTHER',
      );
      expect(res.status).toBe(200);
      const stored = sim.leads()[0]?.fields;
      expect(stored?.TITLE).toBe('My company');
      expect((stored?.PHONE as Lead[]).map((p) => p.VALUE)).toEqual(['112233', '555888112']);
    });

    it('answers a wrong webhook code or user id with 403 INVALID_CREDENTIALS and JSON', async () => {
      for (const url of [`${sim.url}/rest/1/wrong/`, `${sim.url}/rest/2/leadgatesim/`]) {
        const res = await callJson(url, 'crm.lead.add', lead({ TITLE: 'x' }));
        expect(res.status).toBe(403);
        expect(res.contentType).toBe('application/json; charset=utf-8');
        expect(res.body).toEqual({ error: 'INVALID_CREDENTIALS', error_description: 'Invalid request credentials' });
      }
      expect(sim.leads()).toHaveLength(0);
    });

    it('answers the OAuth form /rest/METHOD without a token with 401 NO_AUTH_FOUND', async () => {
      const res = await callJson(`${sim.url}/rest/`, 'crm.lead.add', lead({ TITLE: 'x' }));
      expect(res.status).toBe(401);
      expect(res.body).toEqual({ error: 'NO_AUTH_FOUND', error_description: 'Wrong authorization data' });
    });

    it('answers an unknown method with 404 ERROR_METHOD_NOT_FOUND', async () => {
      const res = await callJson(sim.webhookUrl, 'crm.lead.explode', {});
      expect(res.status).toBe(404);
      expect(res.body).toEqual({ error: 'ERROR_METHOD_NOT_FOUND', error_description: 'Method not found!' });
    });

    it('lets a test break and fix credentials; webhookUrl follows the code', async () => {
      const oldUrl = sim.webhookUrl;
      sim.setWebhookCode('rotated');
      expect(sim.webhookUrl).toBe(`${sim.url}/rest/1/rotated/`);
      expect((await callJson(oldUrl, 'crm.lead.add', lead({ TITLE: 'x' }))).status).toBe(403);
      expect((await callJson(sim.webhookUrl, 'crm.lead.add', lead({ TITLE: 'x' }))).status).toBe(200);
    });
  });

  describe('request bodies (CRestUtil::getRequestData)', () => {
    it('parses form-urlencoded PHP-bracket bodies, with & inside a value sent as %26', async () => {
      const res = await callForm<number>(
        sim.webhookUrl,
        'crm.lead.add',
        'fields[TITLE]=John%26Martin&fields[EMAIL][0][VALUE]=a%40b.io&fields[EMAIL][0][VALUE_TYPE]=WORK&params[REGISTER_SONET_EVENT]=Y',
      );
      expect(res.status).toBe(200);
      const stored = sim.leads()[0]?.fields;
      expect(stored?.TITLE).toBe('John&Martin');
      expect(stored?.EMAIL).toEqual([{ ID: '1', VALUE_TYPE: 'WORK', VALUE: 'a@b.io', TYPE_ID: 'EMAIL' }]);
    });

    it('parses multipart/form-data with one part per bracket key', async () => {
      const form = new FormData();
      form.append('fields[TITLE]', 'Multipart');
      form.append('fields[PHONE][0][VALUE]', '+4930123');
      form.append('fields[PHONE][0][VALUE_TYPE]', 'MOBILE');
      const res = await fetch(`${sim.webhookUrl}crm.lead.add`, { method: 'POST', body: form });
      expect(res.status).toBe(200);
      expect(sim.leads()[0]?.fields).toMatchObject({ TITLE: 'Multipart', HAS_PHONE: 'Y' });
    });

    it('treats an unparseable JSON body as empty, so crm.lead.add reports missing fields', async () => {
      const res = await fetch(`${sim.webhookUrl}crm.lead.add`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: '{"fields": {"TITLE": "x"',
      });
      expect(res.status).toBe(400);
      expect(await res.json()).toEqual({ error: '', error_description: "Parameter 'fields' must be array." });
    });

    it('merges the query string under the body (array_replace: body keys win)', async () => {
      const res = await fetch(`${sim.webhookUrl}crm.lead.add?fields[TITLE]=from-query&params[REGISTER_SONET_EVENT]=N`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(lead({ TITLE: 'from-body' })),
      });
      expect(res.status).toBe(200);
      expect(sim.leads()[0]?.fields.TITLE).toBe('from-body');
    });
  });

  describe('crm.lead.add and crm.lead.get', () => {
    it('returns the new ID as an integer with a time block, and IDs increase', async () => {
      const first = await callJson<number>(sim.webhookUrl, 'crm.lead.add', lead({ TITLE: 'a' }));
      const second = await callJson<number>(sim.webhookUrl, 'crm.lead.add', lead({ TITLE: 'b' }));
      expect([first.body.result, second.body.result]).toEqual([1, 2]);
      expect(Object.keys(first.body.time ?? {}).sort()).toEqual(
        ['date_finish', 'date_start', 'duration', 'finish', 'operating', 'operating_reset_at', 'processing', 'start'].sort(),
      );
      expect(first.body.time?.date_start).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+00:00$/);
    });

    it('stores what Bitrix stores: strings, defaults, multifields with IDs, ORIGIN_* and UF_CRM_*; drops unknown names', async () => {
      const add = await callJson<number>(sim.webhookUrl, 'crm.lead.add', {
        fields: {
          TITLE: 'IP Titov',
          NAME: 'Gleb',
          OPENED: 'Y',
          ASSIGNED_BY_ID: 7,
          CURRENCY_ID: 'USD',
          OPPORTUNITY: 12500,
          SOURCE_ID: 'WEBFORM',
          ORIGINATOR_ID: 'leadgate',
          ORIGIN_ID: 'job-42',
          UF_CRM_CAMPAIGN: 'spring',
          NOT_A_FIELD: 'dropped',
          DATE_CREATE: '2001-01-01T00:00:00+00:00',
          PHONE: [{ VALUE: '555888', VALUE_TYPE: 'WORK' }],
          WEB: [{ VALUE: 'www.mysite.com', VALUE_TYPE: 'WORK' }],
        },
        params: { REGISTER_SONET_EVENT: 'Y' },
      });
      const get = await callJson<Lead>(sim.webhookUrl, 'crm.lead.get', { id: add.body.result });
      expect(get.status).toBe(200);
      const got = get.body.result as Lead;
      expect(got).toMatchObject({
        ID: '1',
        TITLE: 'IP Titov',
        NAME: 'Gleb',
        LAST_NAME: null,
        STATUS_ID: 'NEW',
        SOURCE_ID: 'WEBFORM',
        OPPORTUNITY: '12500.00',
        ASSIGNED_BY_ID: '7',
        CREATED_BY_ID: '1',
        ORIGINATOR_ID: 'leadgate',
        ORIGIN_ID: 'job-42',
        UF_CRM_CAMPAIGN: 'spring',
        HAS_PHONE: 'Y',
        HAS_EMAIL: 'N',
        PHONE: [{ ID: '1', VALUE_TYPE: 'WORK', VALUE: '555888', TYPE_ID: 'PHONE' }],
        WEB: [{ ID: '2', VALUE_TYPE: 'WORK', VALUE: 'www.mysite.com', TYPE_ID: 'WEB' }],
      });
      expect(got).not.toHaveProperty('NOT_A_FIELD');
      expect(got).not.toHaveProperty('EMAIL');
      expect(got.DATE_CREATE).not.toBe('2001-01-01T00:00:00+00:00');
      expect(sim.leads()[0]).toMatchObject({ ID: 1, fields: got });
    });

    it('names an untitled lead "Lead #ID"', async () => {
      await callJson(sim.webhookUrl, 'crm.lead.add', lead({ NAME: 'Anon' }));
      expect(sim.leads()[0]?.fields.TITLE).toBe('Lead #1');
    });

    it('accepts ID as well as id, and reports bad or unknown IDs as 400 with an empty code', async () => {
      await callJson(sim.webhookUrl, 'crm.lead.add', lead({ TITLE: 'x' }));
      expect((await callJson(sim.webhookUrl, 'crm.lead.get', { ID: 1 })).status).toBe(200);
      const missing = await callJson(sim.webhookUrl, 'crm.lead.get', {});
      expect(missing.status).toBe(400);
      expect(missing.body).toEqual({ error: '', error_description: 'ID is not defined or invalid.' });
      const unknown = await callJson(sim.webhookUrl, 'crm.lead.get', { id: 999 });
      expect(unknown.status).toBe(400);
      expect(unknown.body).toEqual({ error: '', error_description: 'Not found' });
    });
  });

  describe('crm.lead.add validation: 400, empty error code, nothing stored', () => {
    it.each<[string, unknown, RegExp]>([
      ['fields missing', {}, /Parameter 'fields' must be array\./],
      ['fields not an object', { fields: 'TITLE=x' }, /Parameter 'fields' must be array\./],
      ['PHONE not an array', { fields: { PHONE: '+4930123' } }, /multiple field "PHONE"/],
      ['PHONE item without VALUE', { fields: { PHONE: [{ VALUE_TYPE: 'WORK' }] } }, /PHONE.*empty VALUE/],
      ['PHONE item without VALUE_TYPE', { fields: { PHONE: [{ VALUE: '1' }] } }, /PHONE.*invalid VALUE_TYPE ""/],
      ['VALUE_TYPE outside the allowed set', { fields: { PHONE: [{ VALUE: '1', VALUE_TYPE: 'CELL' }] } }, /"CELL"/],
      ['EMAIL that is not an address', { fields: { EMAIL: [{ VALUE: 'nope', VALUE_TYPE: 'WORK' }] } }, /invalid address: "nope"/],
      ['IM type not allowed', { fields: { IM: [{ VALUE: '@x', VALUE_TYPE: 'WHATSAPP' }] } }, /IM.*"WHATSAPP"/],
      ['OPENED not Y/N', { fields: { OPENED: 'yes' } }, /OPENED.*"Y" or "N"/],
      ['IS_MANUAL_OPPORTUNITY not Y/N', { fields: { IS_MANUAL_OPPORTUNITY: true } }, /IS_MANUAL_OPPORTUNITY/],
      ['SOURCE_ID not in the SOURCE list', { fields: { SOURCE_ID: 'FACEBOOK' } }, /SOURCE_ID.*"FACEBOOK"/],
      ['STATUS_ID not in the STATUS list', { fields: { STATUS_ID: 'WON' } }, /STATUS_ID.*"WON"/],
    ])('%s', async (_label, params, description) => {
      const res = await callJson(sim.webhookUrl, 'crm.lead.add', params);
      expect(res.status).toBe(400);
      expect(res.contentType).toBe('application/json; charset=utf-8');
      expect(Object.keys(res.body).sort()).toEqual(['error', 'error_description']);
      expect(res.body.error).toBe('');
      expect(res.body.error_description).toMatch(description);
      expect(sim.leads()).toHaveLength(0);
    });

    it('lists every problem, one per line, and does not burn an ID', async () => {
      const res = await callJson(sim.webhookUrl, 'crm.lead.add', {
        fields: { OPENED: 'x', EMAIL: [{ VALUE: 'bad', VALUE_TYPE: 'WORK' }] },
      });
      expect(res.body.error_description?.split('\n')).toHaveLength(2);
      const ok = await callJson(sim.webhookUrl, 'crm.lead.add', lead({ TITLE: 'ok' }));
      expect(ok.body.result).toBe(1);
    });
  });

  describe('crm.lead.list', () => {
    async function addLeads(specs: Array<Record<string, unknown>>): Promise<void> {
      const cmd = Object.fromEntries(
        specs.map((fields, i) => [`l${i}`, `crm.lead.add?${new URLSearchParams(flatten(fields)).toString()}`]),
      );
      const res = await callJson(sim.webhookUrl, 'batch', { halt: 1, cmd });
      expect(res.status).toBe(200);
    }

    it('finds leads by ORIGIN_ID with the @ (IN) filter and returns string values', async () => {
      await addLeads([
        { TITLE: 'a', ORIGINATOR_ID: 'leadgate', ORIGIN_ID: 'job-1' },
        { TITLE: 'b', ORIGINATOR_ID: 'leadgate', ORIGIN_ID: 'job-2' },
        { TITLE: 'c', ORIGINATOR_ID: 'leadgate', ORIGIN_ID: 'job-3' },
      ]);
      const res = await callJson<Lead[]>(sim.webhookUrl, 'crm.lead.list', {
        filter: { '@ORIGIN_ID': ['job-1', 'job-3', 'job-404'], ORIGINATOR_ID: 'leadgate' },
        select: ['ID', 'ORIGIN_ID'],
      });
      expect(res.status).toBe(200);
      expect(res.body.result).toEqual([
        { ID: '1', ORIGIN_ID: 'job-1' },
        { ID: '3', ORIGIN_ID: 'job-3' },
      ]);
      expect(res.body.total).toBe(2);
      expect(res.body).not.toHaveProperty('next');
    });

    it('pages by 50 with next and total', async () => {
      for (let chunk = 0; chunk < 3; chunk++) {
        await addLeads(Array.from({ length: 40 }, (_, i) => ({ TITLE: `t${chunk * 40 + i}` })));
      }
      const first = await callJson<Lead[]>(sim.webhookUrl, 'crm.lead.list', { select: ['ID'] });
      expect(first.body.result).toHaveLength(50);
      expect(first.body.next).toBe(50);
      expect(first.body.total).toBe(120);
      const last = await callJson<Lead[]>(sim.webhookUrl, 'crm.lead.list', { select: ['ID'], start: 100 });
      expect(last.body.result).toHaveLength(20);
      expect(last.body).not.toHaveProperty('next');
      const fast = await callJson<Lead[]>(sim.webhookUrl, 'crm.lead.list', { start: -1, filter: { '>ID': 110 } });
      expect(fast.body.result).toHaveLength(10);
      expect(fast.body).not.toHaveProperty('total');
    });

    it('supports the filter prefixes, multifield search and order', async () => {
      await addLeads([
        { TITLE: 'Alpha corp', STATUS_ID: 'NEW', OPPORTUNITY: 10, PHONE: [{ VALUE: '555888', VALUE_TYPE: 'WORK' }] },
        { TITLE: 'Beta', STATUS_ID: 'JUNK', OPPORTUNITY: 200 },
        { TITLE: 'alpha two', STATUS_ID: 'IN_PROCESS', OPPORTUNITY: 3000 },
      ]);
      const ids = async (filter: Record<string, unknown>, order?: Record<string, string>) =>
        ((await callJson<Lead[]>(sim.webhookUrl, 'crm.lead.list', { filter, order, select: ['ID'] })).body.result ?? []).map(
          (l) => l.ID,
        );
      expect(await ids({ '%TITLE': 'ALPHA' })).toEqual(['1', '3']);
      expect(await ids({ '!STATUS_ID': 'NEW' })).toEqual(['2', '3']);
      expect(await ids({ '!=STATUS_ID': 'NEW' })).toEqual(['2', '3']);
      expect(await ids({ '!@STATUS_ID': ['NEW', 'JUNK'] })).toEqual(['3']);
      expect(await ids({ '>OPPORTUNITY': 100 })).toEqual(['2', '3']);
      expect(await ids({ '>=ID': 2, '<ID': 3 })).toEqual(['2']);
      expect(await ids({ '<=OPPORTUNITY': 200 })).toEqual(['1', '2']);
      expect(await ids({ '=ID': [1, 3] })).toEqual(['1', '3']);
      expect(await ids({ PHONE: '555888' })).toEqual(['1']);
      expect(await ids({}, { ID: 'DESC' })).toEqual(['3', '2', '1']);
      expect(await ids({ '=%TITLE': 'alpha%' })).toEqual(['1', '3']);
    });

    it('selects * (no multifields, no UF), UF_* and named multifields', async () => {
      await addLeads([{ TITLE: 'x', UF_CRM_X: 'u', PHONE: [{ VALUE: '1', VALUE_TYPE: 'WORK' }] }]);
      const list = async (select: string[]) =>
        ((await callJson<Lead[]>(sim.webhookUrl, 'crm.lead.list', { select })).body.result ?? [])[0] as Lead;
      const star = await list(['*']);
      expect(star).toHaveProperty('TITLE', 'x');
      expect(star).not.toHaveProperty('PHONE');
      expect(star).not.toHaveProperty('UF_CRM_X');
      expect(await list(['ID', 'UF_*', 'PHONE'])).toEqual({
        ID: '1',
        UF_CRM_X: 'u',
        PHONE: [{ ID: '1', VALUE_TYPE: 'WORK', VALUE: '1', TYPE_ID: 'PHONE' }],
      });
    });
  });

  describe('reference methods', () => {
    it('crm.lead.fields describes fields like the docs (statusType, multifields, ORIGIN_*)', async () => {
      const res = await callJson<Record<string, Lead>>(sim.webhookUrl, 'crm.lead.fields');
      const fields = res.body.result ?? {};
      expect(fields.SOURCE_ID).toMatchObject({ type: 'crm_status', statusType: 'SOURCE', isRequired: false });
      expect(fields.STATUS_ID).toMatchObject({ type: 'crm_status', statusType: 'STATUS' });
      expect(fields.PHONE).toMatchObject({ type: 'crm_multifield', isMultiple: true });
      expect(fields.ORIGIN_ID).toMatchObject({ type: 'string', title: 'Identifier in External Source' });
      expect(fields.ID).toMatchObject({ type: 'integer', isReadOnly: true });
      expect(fields.CONTACT_ID).toMatchObject({ isDeprecated: true });
    });

    it('crm.status.list returns the default SOURCE and STATUS lists in SORT order', async () => {
      const sources = await callForm<Lead[]>(sim.webhookUrl, 'crm.status.list', 'filter[ENTITY_ID]=SOURCE');
      expect((sources.body.result ?? []).map((s) => s.STATUS_ID)).toEqual([
        'CALL', 'EMAIL', 'WEB', 'ADVERTISING', 'PARTNER', 'RECOMMENDATION',
        'TRADE_SHOW', 'WEBFORM', 'CALLBACK', 'RC_GENERATOR', 'STORE', 'OTHER',
      ]);
      expect(sources.body.total).toBe(12);
      const stages = await callJson<Lead[]>(sim.webhookUrl, 'crm.status.list', {
        order: { SORT: 'ASC' },
        filter: { ENTITY_ID: 'STATUS' },
      });
      expect(stages.body.result?.[0]).toMatchObject({
        ENTITY_ID: 'STATUS',
        STATUS_ID: 'NEW',
        SORT: '10',
        SEMANTICS: null,
        EXTRA: { SEMANTICS: 'process' },
      });
      expect((stages.body.result ?? []).map((s) => s.STATUS_ID)).toEqual(['NEW', 'IN_PROCESS', 'PROCESSED', 'JUNK', 'CONVERTED']);
    });
  });
});

/** { PHONE: [{VALUE}] } → [['fields[PHONE][0][VALUE]', …]] for batch command queries. */
function flatten(fields: Record<string, unknown>): Array<[string, string]> {
  const out: Array<[string, string]> = [];
  const walk = (prefix: string, v: unknown): void => {
    if (typeof v === 'object' && v !== null) {
      for (const [k, child] of Object.entries(v)) walk(`${prefix}[${k}]`, child);
    } else out.push([prefix, String(v)]);
  };
  for (const [k, v] of Object.entries(fields)) walk(`fields[${k}]`, v);
  return out;
}
