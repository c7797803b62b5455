import pino, { type Logger } from 'pino';

export type { Logger };

/**
 * JSON logs that never carry personal data or secrets: contact fields anywhere in a logged object are
 * censored by path, and webhook URLs (whose path holds the secret code) are masked where we log them.
 */
const REDACT_PATHS = [
  'email', 'phone', 'name', 'EMAIL', 'PHONE', 'NAME', 'LAST_NAME', 'SECOND_NAME',
  '*.email', '*.phone', '*.name', '*.EMAIL', '*.PHONE', '*.NAME', '*.LAST_NAME', '*.SECOND_NAME',
  'fields', '*.fields', 'lead.fields', 'body', '*.body', 'extras', '*.extras',
  'token', '*.token', 'accessToken', '*.accessToken', 'authorization', '*.authorization',
  'req.headers.authorization', 'req.headers.cookie', 'webhookUrl', '*.webhookUrl', 'secret', '*.secret',
  'refreshToken', '*.refreshToken', 'clientSecret', '*.clientSecret', 'oauth', '*.oauth',
];

export function createLogger(options: { level?: string; name?: string } = {}): Logger {
  return pino({
    name: options.name ?? 'leadgate',
    level: options.level ?? process.env.LOG_LEVEL ?? 'info',
    redact: { paths: REDACT_PATHS, censor: '[redacted]' },
    base: { pid: process.pid },
    timestamp: pino.stdTimeFunctions.isoTime,
  });
}

/** A logger for tests and library use that writes nothing. */
export const silentLogger: Logger = pino({ level: 'silent' });

/** `https://portal/rest/1/abc123secret/` → `https://portal/rest/1/***` (the code is a password). */
export function maskWebhookUrl(url: string): string {
  return url.replace(/(\/rest\/\d+\/)[^/]+/, '$1***');
}

/** `jane.doe@example.com` → `j***@example.com`, for the rare log line that must point at a contact. */
export function maskEmail(email: string): string {
  const at = email.indexOf('@');
  return at > 0 ? `${email[0]}***${email.slice(at)}` : '***';
}
