import { dealTargetOf, toDealAndContact } from '../../src/clients/bitrix24/map-deal';

const email = [{ VALUE: 'ann@example.com', VALUE_TYPE: 'WORK' }];

describe('a lead mapped to a contact and a deal (entity: deal)', () => {
  it('puts the person on the contact, the request on the deal, and source, owner and leadgate’s key on both', () => {
    const { contact, deal } = toDealAndContact({
      TITLE: 'Website: Ann',
      NAME: 'Ann',
      LAST_NAME: 'Lee',
      EMAIL: email,
      COMMENTS: 'Call me',
      SOURCE_ID: 'WEB',
      ASSIGNED_BY_ID: 7,
      UTM_SOURCE: 'google',
      UF_CRM_CONSENT: 'Y',
      ORIGINATOR_ID: 'leadgate',
      ORIGIN_ID: 'lg_1',
    });
    expect(contact).toEqual({ NAME: 'Ann', LAST_NAME: 'Lee', EMAIL: email, SOURCE_ID: 'WEB', ASSIGNED_BY_ID: 7, UTM_SOURCE: 'google', ORIGINATOR_ID: 'leadgate', ORIGIN_ID: 'lg_1' });
    expect(deal).toEqual({ TITLE: 'Website: Ann', COMMENTS: 'Call me', SOURCE_ID: 'WEB', ASSIGNED_BY_ID: 7, UTM_SOURCE: 'google', UF_CRM_CONSENT: 'Y', ORIGINATOR_ID: 'leadgate', ORIGIN_ID: 'lg_1' });
  });

  it('keeps what neither entity has in the deal’s comments, with its code, after the existing comment', () => {
    const { deal } = toDealAndContact({ COMMENTS: 'Hello', COMPANY_TITLE: 'Acme', STATUS_ID: 'NEW', ORIGIN_ID: 'x' });
    expect(deal.COMMENTS).toBe('Hello\n\nCOMPANY_TITLE: Acme\nSTATUS_ID: NEW');
    expect(deal).not.toHaveProperty('COMPANY_TITLE');
  });

  it('a returning customer’s lead (CONTACT_ID, COMPANY_ID) gives only a deal, linked through CONTACT_IDS', () => {
    const mapped = toDealAndContact({ NAME: 'Ann', EMAIL: email, CONTACT_ID: 12, COMPANY_ID: 3, ORIGIN_ID: 'x' });
    expect(mapped.contact).toBeUndefined();
    expect(mapped.contactId).toBe(12);
    expect(mapped.deal).toEqual({ ORIGIN_ID: 'x', CONTACT_IDS: [12], COMPANY_ID: 3 });
  });

  it('places the deal in the configured pipeline and stage', () => {
    expect(toDealAndContact({ TITLE: 't' }, { categoryId: 2, stageId: 'C2:NEW' }).deal).toEqual({ TITLE: 't', CATEGORY_ID: 2, STAGE_ID: 'C2:NEW' });
  });

  it('names where each lead field goes (leadgate check uses it to ask the right portal schema)', () => {
    expect(['NAME', 'PHONE', 'TITLE', 'UF_CRM_X', 'SOURCE_ID', 'COMPANY_TITLE'].map(dealTargetOf)).toEqual(['contact', 'contact', 'deal', 'deal', 'both', 'comments']);
  });
});
