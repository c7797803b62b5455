/** The partner API source: key auth by hash, schema validation, mapping. */
export { bearerToken, findPartnerByKey, generatePartnerKey, hashPartnerKey } from './partner-auth';
export { partnerLeadToLead, type PartnerLead } from './partner-lead';
export { validatePartnerLead } from './validate-partner-lead';
