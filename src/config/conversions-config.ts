/** `conversions`: what becomes of each lead in Bitrix24, reported back to Meta and Google (schemas/config.schema.json). */

/** The events one Bitrix24 status or deal stage stands for, per platform. */
export interface ConversionStageConfig {
  /** Meta CAPI event_name (the CRM stage's name in Meta's funnel, e.g. "Qualified"). */
  meta?: string;
  /** Google Ads conversion action name (conversions.google.conversionActions maps it to its id). */
  google?: string;
  /** Report the deal's OPPORTUNITY and CURRENCY_ID as the conversion value. */
  value: boolean;
}

/** One Bitrix24 destination whose outgoing events and stage history are followed. */
export interface ConversionSourceConfig {
  /** auth[application_token] of the portal's outgoing webhook (or app): events without it are refused. */
  applicationToken: string;
  /** crm.stagehistory.list sweep for missed events; 0 turns it off. */
  sweepIntervalSeconds: number;
  /** How far back the first sweep looks. */
  sweepLookbackHours: number;
}

export interface MetaCapiConfig {
  /** The dataset (pixel) id CRM events are posted to: POST /{datasetId}/events. */
  datasetId: string;
  accessToken: string;
  graphUrl: string;
  graphVersion: string;
  /** custom_data.lead_event_source: the CRM's name. */
  leadEventSource: string;
  /** Sent while setting up, so events show in Events Manager's Test Events only. */
  testEventCode?: string;
  /** Events per request (Meta: at most 1,000; one bad event fails the whole request). */
  batchSize: number;
  /** How long a partly filled batch waits for more events. */
  lingerMs: number;
  timeoutMs: number;
}

export interface GoogleServiceAccountConfig {
  clientEmail: string;
  /** PEM private key of the service account (the JSON key file's private_key). */
  privateKey: string;
  tokenUrl: string;
}

export interface GoogleConversionsConfig {
  /** The Google Ads customer id (10 digits) owning the conversion actions. */
  customerId: string;
  /** The manager account the service account reaches the customer through, when not directly. */
  loginCustomerId?: string;
  /** Without one, Google conversions are only recorded for `leadgate conversions export`. */
  serviceAccount?: GoogleServiceAccountConfig;
  ingestUrl: string;
  /** Conversion action name → its id (the Data Manager API's productDestinationId). */
  conversionActions: Record<string, string>;
  /** Time zone of the CSV export's Parameters:TimeZone line. */
  exportTimeZone: string;
  /** Events per request (Data Manager API: at most 2,000). */
  batchSize: number;
  lingerMs: number;
  /** Google checks every request without recording anything (setting up). */
  validateOnly: boolean;
  timeoutMs: number;
}

export interface ConversionsConfig {
  destinations: Record<string, ConversionSourceConfig>;
  /** Lead STATUS_ID → events. */
  leadStatuses: Record<string, ConversionStageConfig>;
  /** Deal STAGE_ID (C<n>:<stage> in other pipelines) → events. */
  dealStages: Record<string, ConversionStageConfig>;
  meta?: MetaCapiConfig;
  google?: GoogleConversionsConfig;
  /** How long each lead's conversion records are kept. */
  retentionDays: number;
}

/** Problems the schema cannot see: names that must exist elsewhere in the config. */
export function conversionsConfigProblems(conversions: ConversionsConfig | undefined, destinations: string[]): string[] {
  if (!conversions) return [];
  const problems: string[] = [];
  for (const name of Object.keys(conversions.destinations)) {
    if (!destinations.includes(name)) problems.push(`/conversions/destinations/${name}: no destination named "${name}" (have: ${destinations.join(', ') || 'none'})`);
  }
  const stages: Array<[string, ConversionStageConfig]> = [
    ...Object.entries(conversions.leadStatuses).map(([id, s]): [string, ConversionStageConfig] => [`/conversions/leadStatuses/${id}`, s]),
    ...Object.entries(conversions.dealStages).map(([id, s]): [string, ConversionStageConfig] => [`/conversions/dealStages/${id}`, s]),
  ];
  for (const [path, stage] of stages) {
    if (stage.meta !== undefined && !conversions.meta) problems.push(`${path}/meta: conversions.meta (dataset id and token) is not configured`);
    if (stage.google !== undefined) {
      const google = conversions.google;
      if (!google) problems.push(`${path}/google: conversions.google is not configured`);
      else if (google.serviceAccount && !Object.hasOwn(google.conversionActions, stage.google)) {
        problems.push(`${path}/google: no conversion action "${stage.google}" in conversions.google.conversionActions`);
      }
    }
  }
  return problems;
}
