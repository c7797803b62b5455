/** `https://PORTAL/crm/lead/details/ID/`, the portal taken from the destination's webhook or OAuth endpoint. */
export function portalHost(destination: { webhookUrl?: string; oauth?: { clientEndpoint: string } } | undefined): string | undefined {
  const url = destination?.webhookUrl ?? destination?.oauth?.clientEndpoint;
  return url ? new URL(url).host : undefined;
}
