import type { Config, FormConfig } from '../../config/config';
import type { WebhookAuth } from '../../config/webhook-config';
import { keyFingerprint, type Revocation, type StoredPartnerKey } from '../../queue/partner-keys';
import { html, type SafeHtml } from './html';
import { actionButton, csrfField } from './layout';

/** A partner key as the console lists it: from config (keyHashes) or created here, maybe revoked. */
export interface PartnerKeyView {
  hash: string;
  origin: 'config' | 'console';
  createdAt?: string;
  createdBy?: string;
  revoked?: Revocation;
}

export interface SourcesView {
  /** Where sites and platforms reach this gateway (http.publicUrl, else where the console was opened). */
  baseUrl: string;
  /** Set once an operator asked to see the webhook tokens (a POST, audited). */
  showSecrets: boolean;
  partnerKeys: Record<string, PartnerKeyView[]>;
  /** A key just created: shown this once, never again. */
  newKey?: { partner: string; key: string; fingerprint: string };
  csrf: string;
}

/** The standard inputs every form mapping knows; a form's own `fields` add theirs. */
const STANDARD_INPUTS: Array<[name: string, label: string, attributes: string]> = [
  ['name', 'Name', 'autocomplete="name"'],
  ['email', 'Email', 'type="email" autocomplete="email"'],
  ['phone', 'Phone', 'type="tel" autocomplete="tel"'],
];

/** A plain HTML form for a configured form id: it posts without script, and the snippet takes it over. */
export function formHtml(id: string, form: Pick<FormConfig, 'fields' | 'honeypot' | 'captcha' | 'consent'>, baseUrl: string): string {
  const action = `${baseUrl}/v1/forms/${encodeURIComponent(id)}`;
  const own = Object.keys(form.fields ?? {}).filter((name) => !STANDARD_INPUTS.some(([standard]) => standard === name));
  const lines = [
    `<form data-leadgate="${id}" action="${action}" method="post">`,
    ...STANDARD_INPUTS.map(([name, label, attributes]) => `  <label>${label} <input name="${name}" ${attributes}></label>`),
    ...own.map((name) => `  <label>${name} <input name="${name}"></label>`),
    '  <label>Message <textarea name="message" rows="3"></textarea></label>',
    ...(form.honeypot ? [`  <!-- Honeypot: keep it out of sight (e.g. position: absolute; left: -10000px), never type="hidden". -->`, `  <label class="${form.honeypot}" aria-hidden="true">${form.honeypot} <input name="${form.honeypot}" tabindex="-1" autocomplete="off"></label>`] : []),
    ...(form.captcha ? [`  <!-- ${form.captcha.provider} widget here: its token field is sent with the form (see README "Spam and abuse"). -->`] : []),
    ...(form.consent ? ['  <label><input type="checkbox" name="consent" value="yes"> I agree to be contacted</label>'] : []),
    '  <button type="submit">Send</button>',
    '  <p data-leadgate-status role="status" aria-live="polite"></p>',
    '</form>',
  ];
  return lines.join('\n');
}

export function snippetHtml(baseUrl: string): string {
  return `<!-- On every page of the site: keeps the visitor's first and last campaign touch (90 days). -->\n<script src="${baseUrl}/v1/snippet.js" data-days="90" async></script>`;
}

function secret(value: string | undefined, show: boolean, name: string): SafeHtml {
  if (!value) return html`<span class="muted">not set</span>`;
  return show ? html`<span class="secret" data-secret="${name}">${value}</span>` : html`<span class="muted" data-secret-hidden="${name}">hidden (${value.length} characters)</span>`;
}

/** How a configured webhook proves itself: what to paste into the tool, secrets hidden until asked. */
function webhookAuth(auth: WebhookAuth, show: boolean, name: string): SafeHtml {
  switch (auth.type) {
    case 'hmac':
      return html`<dt>Signature</dt><dd>HMAC-${auth.algorithm.toUpperCase()} of the raw body, ${auth.encoding}, in <code>${auth.header}</code>${auth.prefix ? html` after <code>${auth.prefix}</code>` : ''}</dd>
<dt>Secret</dt><dd>${secret(auth.secret, show, `webhook-${name}`)}</dd>`;
    case 'token':
      return html`<dt>Token</dt><dd>${secret(auth.token, show, `webhook-${name}`)} <span class="muted">in ${[auth.header ? html`the <code>${auth.header}</code> header` : '', auth.query ? html`the <code>${auth.query}</code> query parameter` : ''].filter((part) => part !== '').map((part, i) => (i === 0 ? part : html` or ${part}`))}</span></dd>`;
    case 'none':
      return html`<dt>Credential</dt><dd>none: only the allowed addresses are taken</dd>`;
  }
}

export function sourcesBody(config: Config, view: SourcesView): SafeHtml {
  const { baseUrl, showSecrets, csrf } = view;
  // Any form id is accepted: one example card, its id to be chosen by the site.
  const forms: Array<[string, Pick<FormConfig, 'destination' | 'fields' | 'honeypot' | 'captcha' | 'consent' | 'allowedOrigins'>]> = [
    ...Object.entries(config.forms),
    ...(config.acceptAnyForm ? [['your-form-id', { destination: 'main' }] as [string, Pick<FormConfig, 'destination'>]] : []),
  ];
  const meta = config.sources?.meta;
  const google = config.sources?.google;
  const linkedin = config.sources?.linkedin;
  const tiktok = config.sources?.tiktok;
  const webhooks = Object.entries(config.sources?.webhooks ?? {});
  const bitrixEvents = Object.entries(config.conversions?.destinations ?? {});
  const anySecret = Boolean(meta || google || linkedin || tiktok || bitrixEvents.length > 0 || webhooks.some(([, hook]) => hook.auth.type !== 'none'));
  const partners = Object.entries(config.sources?.partners ?? {});
  return html`<h1>Sources</h1>
${view.newKey
  ? html`<section class="card" data-new-key>
<h2>New key for ${view.newKey.partner}</h2>
<p>Copy it now and give it to the partner over a secure channel: it is shown <strong>this once</strong>; leadgate keeps only its hash (${view.newKey.fingerprint}). They send it as <code>Authorization: Bearer &lt;key&gt;</code>.</p>
<p class="secret" data-key>${view.newKey.key}</p>
</section>`
  : ''}
<p class="muted">Addresses below start with <code>${baseUrl}</code>${config.http.publicUrl ? '' : html` (where this console was opened; set <code>http.publicUrl</code> when sites reach the gateway elsewhere)`}.</p>
<h2>Website forms</h2>
${forms.length === 0
  ? html`<p class="muted">No form is configured (<code>forms</code>).</p>`
  : forms.map(
      ([id, form]) => html`<section class="card" data-form="${id}">
<h2>${id} <span class="muted">→ ${form.destination}</span></h2>
${Object.hasOwn(config.forms, id) ? '' : html`<p class="muted">Any form id is accepted (<code>acceptAnyForm</code>) and delivered to <code>main</code> with the default mapping: pick an id per form.</p>`}
<p class="muted">Posts to <code>${baseUrl}/v1/forms/${id}</code>${form.allowedOrigins?.length ? html`; allowed origins: <code>${form.allowedOrigins.join(', ')}</code>` : ''}.</p>
<label for="snippet-${id}">Script, on every page</label>
<textarea id="snippet-${id}" class="snippet short" readonly data-copy="snippet">${snippetHtml(baseUrl)}</textarea>
<label for="form-${id}">Form</label>
<textarea id="form-${id}" class="snippet" readonly data-copy="form">${formHtml(id, form, baseUrl)}</textarea>
</section>`,
    )}
<h2>Ad platforms</h2>
<section class="card" data-platform="meta">
<h2>Meta Lead Ads</h2>
${meta
  ? html`<dl>
<dt>Callback URL</dt><dd><code>${baseUrl}/v1/webhooks/meta</code></dd>
<dt>Verify token</dt><dd>${secret(meta.verifyToken, showSecrets, 'meta-verify-token')}</dd>
<dt>Pages</dt><dd>${Object.keys(meta.pages).join(', ') || '—'}</dd>
</dl>
<p class="muted">In the Meta app: Webhooks → Page → subscribe <code>leadgen</code> with this callback URL and verify token.</p>`
  : html`<p class="muted">Not configured (<code>sources.meta</code>).</p>`}
</section>
<section class="card" data-platform="google">
<h2>Google Ads lead forms</h2>
${google
  ? html`<dl>
<dt>Webhook URL</dt><dd><code>${baseUrl}/v1/webhooks/google</code></dd>
<dt>Key</dt><dd>${google.keys.map((key, i) => html`<div>${secret(key, showSecrets, `google-key-${i}`)}</div>`)}</dd>
</dl>
<p class="muted">In the lead form's webhook integration: paste the URL and the key, then "Send test data".</p>`
  : html`<p class="muted">Not configured (<code>sources.google</code>).</p>`}
</section>
<section class="card" data-platform="linkedin">
<h2>LinkedIn Lead Gen Forms</h2>
${linkedin
  ? html`<dl>
<dt>Webhook URL</dt><dd><code>${baseUrl}/v1/webhooks/linkedin</code></dd>
<dt>Client id</dt><dd><code>${linkedin.clientId}</code></dd>
<dt>Client secret</dt><dd>${secret(linkedin.clientSecret, showSecrets, 'linkedin-client-secret')}</dd>
<dt>Delivers to</dt><dd>${linkedin.destination}</dd>
</dl>
<p class="muted">In the LinkedIn app: register this URL as the Lead Sync webhook; LinkedIn validates it with a challenge leadgate answers with the client secret.</p>`
  : html`<p class="muted">Not configured (<code>sources.linkedin</code>).</p>`}
</section>
<section class="card" data-platform="tiktok">
<h2>TikTok lead ads</h2>
${tiktok
  ? html`<dl>
<dt>Webhook URL</dt><dd><code>${baseUrl}/v1/webhooks/tiktok</code></dd>
<dt>App secret</dt><dd>${secret(tiktok.secret, showSecrets, 'tiktok-secret')}</dd>
<dt>Delivers to</dt><dd>${tiktok.destination}</dd>
</dl>
<p class="muted">In TikTok's Business API: subscribe the lead event with this URL; deliveries are signed with the app secret.</p>`
  : html`<p class="muted">Not configured (<code>sources.tiktok</code>).</p>`}
</section>
<h2>Form tools and landing-page builders</h2>
${webhooks.length === 0
  ? html`<p class="muted">No webhook is configured (<code>sources.webhooks</code>).</p>`
  : webhooks.map(([name, hook]) => {
      const url = `${baseUrl}/v1/webhooks/custom/${encodeURIComponent(name)}`;
      return html`<section class="card" data-webhook="${name}">
<h2>${name}${hook.preset ? html` <span class="muted">(${hook.preset})</span>` : ''} <span class="muted">→ ${hook.destination}</span></h2>
<dl>
<dt>Webhook URL</dt><dd><code>${hook.auth.type === 'token' && hook.auth.query && !hook.auth.header ? `${url}?${hook.auth.query}=<token>` : url}</code></dd>
${webhookAuth(hook.auth, showSecrets, name)}
<dt>Body</dt><dd>${hook.format}${hook.jsonField ? html`, JSON in the form field <code>${hook.jsonField}</code>` : ''}</dd>
${hook.allowedIps?.length ? html`<dt>Allowed addresses</dt><dd><code>${hook.allowedIps.join(', ')}</code></dd>` : ''}
</dl>
</section>`;
    })}
${bitrixEvents.length > 0
  ? html`<h2>Bitrix24 outgoing events (conversion feedback)</h2>
${bitrixEvents.map(
      ([destination, events]) => html`<section class="card" data-bitrix-events="${destination}">
<h2>${destination}</h2>
<dl>
<dt>Handler URL</dt><dd><code>${baseUrl}/v1/webhooks/bitrix24/${encodeURIComponent(destination)}</code></dd>
<dt>Application token</dt><dd>${secret(events.applicationToken, showSecrets, `bitrix24-events-${destination}`)}</dd>
</dl>
<p class="muted">In the portal: an outgoing webhook (or app) for <code>ONCRMLEADUPDATE</code> and <code>ONCRMDEALUPDATE</code> to this URL; paste the application token Bitrix24 shows into the config.</p>
</section>`,
    )}`
  : ''}
${anySecret && !showSecrets
  ? html`<form method="post" action="/admin/sources/reveal">${csrfField(csrf)}<button type="submit" class="secondary">Show tokens</button> <span class="muted">(recorded in the audit log)</span></form>`
  : ''}
<h2>Partners</h2>
${partners.length === 0
  ? html`<p class="muted">No partner is configured (<code>sources.partners</code>).</p>`
  : partners.map(([name, partner]) => {
      const keys = view.partnerKeys[name] ?? [];
      return html`<section class="card" data-partner="${name}">
<h2>${name} <span class="muted">→ ${partner.destination}</span></h2>
<p class="muted">API: <code>POST ${baseUrl}/v1/partners/leads</code> with <code>Authorization: Bearer &lt;key&gt;</code>.</p>
<table>
<thead><tr><th>Key</th><th>From</th><th>Created</th><th>State</th><th></th></tr></thead>
<tbody>${keys.map(
        (key) => html`<tr data-key-fingerprint="${keyFingerprint(key.hash)}">
<td class="mono">${keyFingerprint(key.hash)}</td>
<td>${key.origin === 'config' ? 'config (keyHashes)' : 'console'}</td>
<td>${key.createdAt ? html`${key.createdAt}<div class="muted">by ${key.createdBy ?? ''}</div>` : '—'}</td>
<td>${key.revoked ? html`<span class="badge open">revoked</span><div class="muted">${key.revoked.revokedAt} by ${key.revoked.revokedBy}</div>` : html`<span class="badge closed">active</span>`}</td>
<td>${key.revoked ? '' : actionButton({ action: `/admin/sources/partners/${encodeURIComponent(name)}/keys/${key.hash}/revoke`, label: 'Revoke', csrf, style: 'danger', confirm: `Revoke key ${keyFingerprint(key.hash)} of ${name}? Requests with it are refused at once.` })}</td>
</tr>`,
      )}</tbody>
</table>
<p>${actionButton({ action: `/admin/sources/partners/${encodeURIComponent(name)}/keys`, label: 'Create key', csrf, style: 'secondary' })}</p>
</section>`;
    })}`;
}
