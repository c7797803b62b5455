import { parseGraphLead } from '../../../src/clients/meta/graph-client';

describe('parseGraphLead (shape of a 200 answer)', () => {
  it('keeps the known fields and normalises ids and values to strings', () => {
    expect(parseGraphLead({
      id: '1', created_time: '2015-02-28T08:49:14+0000', ad_id: 23849853425890, is_organic: false, platform: 'ig', unknown: 'x',
      field_data: [{ name: 'email', values: ['a@b.co'] }, { name: 'zip_code', values: [10115] }, null],
      custom_disclaimer_responses: [{ checkbox_key: 'optional_1', is_checked: '1' }, null, { checkbox_key: 'optional_2' }],
    })).toEqual({
      id: '1', created_time: '2015-02-28T08:49:14+0000', ad_id: '23849853425890', is_organic: false, platform: 'ig',
      field_data: [{ name: 'email', values: ['a@b.co'] }, { name: 'zip_code', values: ['10115'] }],
      custom_disclaimer_responses: [{ checkbox_key: 'optional_1', is_checked: '1' }, { checkbox_key: 'optional_2', is_checked: '' }],
    });
  });

  it('treats a lead without field_data as a lead with no answers', () => {
    expect(parseGraphLead({ id: '1' })).toEqual({ id: '1', field_data: [] });
  });

  it('is not a lead without an id, or when it is not an object', () => {
    expect(parseGraphLead({ field_data: [] })).toBeUndefined();
    expect(parseGraphLead('<html>')).toBeUndefined();
    expect(parseGraphLead(null)).toBeUndefined();
  });
});
