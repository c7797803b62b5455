import pino, { type DestinationStream, type Logger } from 'pino';

export type { Logger };

/**
 * Contact fields and secrets are censored by path wherever they appear in a logged object. Paths alone
 * are not enough: a CRM error description or a parse problem can echo what a visitor typed, so every
 * string that reaches the log is also scrubbed of email addresses, phone-like numbers and webhook codes.
 */
const REDACT_PATHS = [
  'email', 'phone', 'name', 'EMAIL', 'PHONE', 'NAME', 'LAST_NAME', 'SECOND_NAME',
  '*.email', '*.phone', '*.name', '*.EMAIL', '*.PHONE', '*.NAME', '*.LAST_NAME', '*.SECOND_NAME',
  'fields', '*.fields', 'lead.fields', 'body', '*.body', 'extras', '*.extras',
  'token', '*.token', 'accessToken', '*.accessToken', 'authorization', '*.authorization',
  'req.headers.authorization', 'req.headers.cookie', 'webhookUrl', '*.webhookUrl', 'secret', '*.secret',
  'refreshToken', '*.refreshToken', 'clientSecret', '*.clientSecret', 'oauth', '*.oauth',
];

const EMAIL = /([A-Za-z0-9._%+-])[A-Za-z0-9._%+-]*@([A-Za-z0-9.-]+\.[A-Za-z]{2,})/g;
/** Seven or more digits, optionally with a leading + and spaces, dots, dashes or brackets between them. */
const PHONE = /(?<![\w+])\+?\d[\d ().-]{5,}\d(?!\w)/g;
const WEBHOOK = /(\/rest\/\d+\/)[^/\s"']+/g;

/** Anything one of the three patterns could match: most log strings (ids, names of things) have none. */
const MAYBE_SENSITIVE = /@|\/rest\/\d+\/|(?<![\w+])\+?\d[\d ().-]{5,}\d(?!\w)/;

/** `jane.doe@example.com` → `j***@example.com`; `+49 30 1234567` → `+49***67`; webhook codes → `***`. */
export function scrubText(text: string): string {
  // One scan instead of three replacements for the strings every log line carries (lead ids, sources).
  if (!MAYBE_SENSITIVE.test(text)) return text;
  return text
    .replace(WEBHOOK, '$1***')
    .replace(EMAIL, '$1***@$2')
    .replace(PHONE, (match) => {
      const digits = match.replace(/\D/g, '');
      // Timestamps and ids look like numbers too; only mask what could be a phone (7–15 digits).
      if (digits.length < 7 || digits.length > 15 || /^\d{4}-\d{2}-\d{2}/.test(match)) return match;
      return `${match.startsWith('+') ? '+' : ''}${digits.slice(0, 2)}***${digits.slice(-2)}`;
    });
}

function scrub(value: unknown, depth = 0): unknown {
  if (typeof value === 'string') return scrubText(value);
  if (depth > 6 || value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.map((item) => scrub(item, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(value)) out[key] = scrub(item, depth + 1);
  return out;
}

/**
 * stdout, written in blocks of at least 4 KiB or every 100 ms, whichever comes first. pino's default
 * writes whatever piled up as soon as the previous write returns: under load a write call for every
 * line or two (one "lead queued" line a post: ~3% of the intake's CPU in write calls). A process that
 * exits writes what it holds first (pino's exit hook); one killed with SIGKILL loses at most its last
 * 100 ms of lines, never a lead (Redis holds those). `LOG_SYNC=true`: every line written at once.
 */
function stdoutDestination(): DestinationStream {
  if (process.env.LOG_SYNC === 'true') return pino.destination({ dest: 1, sync: true });
  return pino.destination({ dest: 1, sync: false, minLength: 4096, periodicFlush: 100 });
}

export function createLogger(options: { level?: string; name?: string; destination?: DestinationStream } = {}): Logger {
  return pino(
    {
      level: options.level ?? process.env.LOG_LEVEL ?? 'info',
      redact: { paths: REDACT_PATHS, censor: '[redacted]' },
      // Not pino's `name`: a top-level `name` is a visitor's name to redact.
      base: { service: options.name ?? 'leadgate', pid: process.pid },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { log: (object) => scrub(object) as Record<string, unknown> },
      hooks: {
        // The message string is not part of the object the formatter sees.
        logMethod(args, method) {
          method.apply(this, args.map((arg) => (typeof arg === 'string' ? scrubText(arg) : arg)) as Parameters<typeof method>);
        },
      },
    },
    options.destination ?? stdoutDestination(),
  );
}

/** A logger for tests and library use that writes nothing. */
export const silentLogger: Logger = pino({ level: 'silent' });

/**
 * For a line written for every lead whose keys are none that redaction looks for (ids, source and
 * destination names): the redaction pass, a walk of ~50 paths, costs two thirds of such a line
 * (16 µs of 21 on the intake's "lead queued"). Its strings are still scrubbed, as on every line.
 */
export function withoutRedaction(logger: Logger): Logger {
  return logger.child({}, { redact: [] });
}

