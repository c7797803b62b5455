/**
 * One-line settings for the form tools leadgate knows, from each vendor's documentation. How a
 * vendor's body is read (Typeform's answers, Elementor's `fields[..][value]`) is the source's
 * business (src/sources/webhooks/preset-readers.ts); here are only the settings a user could write.
 */
import type { UtmKey } from '../lead/lead';

/** The signed text is `<timestamp><separator><raw body>` (Webflow: `1663849649733:{…}`), and stale timestamps are refused. */
export interface HmacTimestamp {
  header: string;
  separator: string;
  toleranceSeconds: number;
  unit: 'ms' | 's';
}

export const WEBHOOK_PRESET_NAMES = ['tilda', 'typeform', 'unbounce', 'webflow', 'cf7', 'elementor'] as const;
export type WebhookPreset = (typeof WEBHOOK_PRESET_NAMES)[number];

export interface PresetSettings {
  /** The scheme; the credential (`secret` or `token`) comes from the entry. */
  auth: { type: 'hmac'; header: string; algorithm: 'sha256'; encoding: 'hex' | 'base64'; prefix: string; timestamp?: HmacTimestamp } | { type: 'token' };
  format: 'json' | 'urlencoded';
  jsonField?: string;
  id?: string;
  fields: Record<string, string>;
  utm?: Partial<Record<UtmKey, string>>;
  title: string;
}

export const WEBHOOK_PRESETS: Readonly<Record<WebhookPreset, PresetSettings>> = Object.freeze({
  // Tilda signs nothing: the token goes in the webhook URL (?token=…). Its test request is `test=test`.
  tilda: { auth: { type: 'token' }, format: 'urlencoded', id: 'tranid', fields: {}, title: 'Tilda: {name}' },
  // "Typeform-Signature: sha256=<base64 HMAC-SHA256 of the raw body>"; one token per response.
  typeform: {
    auth: { type: 'hmac', header: 'Typeform-Signature', algorithm: 'sha256', encoding: 'base64', prefix: 'sha256=' },
    format: 'json',
    id: '/form_response/token',
    fields: { phone_number: 'PHONE' },
    title: 'Typeform: {name}',
  },
  // Unbounce signs nothing and posts urlencoded with the answers as JSON in `data.json`.
  unbounce: { auth: { type: 'token' }, format: 'urlencoded', jsonField: 'data.json', fields: { phone_number: 'PHONE' }, title: 'Unbounce: {name}' },
  // Webflow (webhooks made by API): hex HMAC-SHA256 of `<x-webflow-timestamp ms>:<raw body>`, refused after 5 minutes.
  webflow: {
    auth: {
      type: 'hmac', header: 'x-webflow-signature', algorithm: 'sha256', encoding: 'hex', prefix: '',
      timestamp: { header: 'x-webflow-timestamp', separator: ':', toleranceSeconds: 300, unit: 'ms' },
    },
    format: 'json',
    id: '/payload/id',
    fields: { phone_number: 'PHONE' },
    title: 'Webflow {form}: {name}',
  },
  // Contact Form 7's own field names, as a webhook add-on posts them.
  cf7: {
    auth: { type: 'token' },
    format: 'urlencoded',
    fields: { 'your-name': 'FULL_NAME', 'your-email': 'EMAIL', 'your-phone': 'PHONE', 'your-tel': 'PHONE', 'your-message': 'COMMENTS' },
    title: 'Contact form: {name}',
  },
  // Elementor Pro's Webhook action: field labels, or fields[<id>][value] with "Advanced Data" on.
  elementor: { auth: { type: 'token' }, format: 'urlencoded', fields: {}, title: 'Elementor {form}: {name}' },
} satisfies Record<WebhookPreset, PresetSettings>);
