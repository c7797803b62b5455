/** The Meta Lead Ads source: webhook signature and handshake, notification parsing, Graph API, mapping. */
export { verifyMetaSignature, signMetaBody, type SignatureCheck } from './verify-signature';
export { answerMetaSubscription, type SubscriptionAnswer } from './subscription';
export { parseLeadgenWebhook, MetaWebhookError, type LeadgenNotification } from './leadgen-webhook';
export { metaLeadToLead, GRAPH_LEAD_FIELDS, META_UTM_DEFAULTS, type GraphLead, type GraphFieldData, type GraphDisclaimerResponse } from './graph-lead';
export { MetaGraphClient, appSecretProof, parseGraphLead, type MetaGraphClientOptions } from './graph-client';
export {
  MetaGraphError, GraphRateLimitedError, GraphAuthError, GraphPermissionError, GraphTransientError, GraphRequestError,
  type GraphErrorKind, type GraphErrorDetails,
} from './graph-errors';
export { classifyGraphError, type GraphErrorBody } from './classify-graph-error';
export { parseJsonExact } from '../shared/exact-json';
