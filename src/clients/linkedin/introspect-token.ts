/** What LinkedIn's token introspection says of a token (POST /oauth/v2/introspectToken). */
export interface LinkedInTokenStatus {
  active: boolean;
  status?: string;
  scope?: string;
  /** Unix seconds. */
  expiresAt?: number;
}

/** The introspection endpoint beside the token endpoint (…/oauth/v2/accessToken → …/oauth/v2/introspectToken). */
export function introspectionUrl(tokenUrl: string): string {
  return tokenUrl.replace(/accessToken\/?$/, 'introspectToken');
}

/** Asks LinkedIn whether the token is active, with which scopes, until when. Throws on a failed call. */
export async function introspectLinkedInToken(options: { tokenUrl: string; clientId: string; clientSecret: string; token: string; timeoutMs: number }): Promise<LinkedInTokenStatus> {
  const response = await fetch(introspectionUrl(options.tokenUrl), {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ client_id: options.clientId, client_secret: options.clientSecret, token: options.token }),
    signal: AbortSignal.timeout(options.timeoutMs),
  });
  const body = (await response.json().catch(() => ({}))) as { active?: boolean; status?: string; scope?: string; expires_at?: number; error?: string; error_description?: string };
  if (!response.ok) throw new Error(`LinkedIn's token introspection answered ${response.status}${body.error ? ` ${body.error}` : ''}`);
  return { active: body.active === true, ...(body.status ? { status: body.status } : {}), ...(body.scope ? { scope: body.scope } : {}), ...(typeof body.expires_at === 'number' ? { expiresAt: body.expires_at } : {}) };
}
