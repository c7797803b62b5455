/** The Google Ads lead form source: parse (int64-exact), authenticate by google_key, map. */
export { GOOGLE_ID_KEYS, GoogleLeadError, parseGoogleLeadBody, presentedGoogleKey, type GoogleColumn, type GoogleLead } from './google-lead';
export { checkGoogleKey } from './google-key';
export { GOOGLE_STANDARD_COLUMNS } from './google-columns';
export { GOOGLE_UTM_DEFAULTS, googleLeadToLead } from './google-lead-to-lead';
