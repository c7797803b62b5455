export * from './meta-simulator';
export { buildWebhookBody, sendWebhook } from './webhook-sender';
export type { GraphFieldData, GraphLead, LeadgenNotification } from './meta-wire';
