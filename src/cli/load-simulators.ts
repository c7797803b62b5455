/**
 * The one door from production code to `@leadgate/simulators`, a dev-only workspace package: loaded when
 * `leadgate dev` or `leadgate sim` runs, never at start-up, so `npm ci --omit=dev` and the Docker image
 * work without it. The shapes below are what the CLI uses; they are written out here rather than imported
 * so the production build compiles without the package (test/unit/load-simulators.test.ts checks that
 * the package still fits them).
 */

export const SIMULATORS_PACKAGE = '@leadgate/simulators';

export interface DevBitrix24Simulator {
  readonly url: string;
  readonly webhookUrl: string;
  readonly clientEndpoint: string;
  readonly tokenUrl: string;
  issueOAuthTokens(): { accessToken: string; refreshToken: string };
  /** Bitrix24's outgoing webhook: stage changes (ONCRMLEADUPDATE…) posted to leadgate with the application token. */
  subscribeEvents(subscription: { url: string; applicationToken: string }): number;
  close(): Promise<void>;
}

export interface DevMetaSimulator {
  readonly url: string;
  readonly graphUrl: string;
  close(): Promise<void>;
}

/** Meta's Conversions API endpoint (conversions.meta.graphUrl). */
export interface DevMetaCapiSimulator {
  readonly url: string;
  readonly graphUrl: string;
  close(): Promise<void>;
}

/** Google's service-account token endpoint and Data Manager ingest endpoint. */
export interface DevGoogleAdsSimulator {
  readonly url: string;
  readonly tokenUrl: string;
  readonly ingestUrl: string;
  readonly serviceAccount: { clientEmail: string; privateKey: string };
  close(): Promise<void>;
}

/** LinkedIn's Lead Sync API and token endpoint, with control routes to send signed notifications. */
export interface DevLinkedInSimulator {
  readonly url: string;
  addForm(form: { id: number; name: string; questions: Array<{ questionId: number; name: string; label: string; predefinedField?: string }> }): void;
  sendChallenge(webhookUrl: string): Promise<{ ok: boolean }>;
  close(): Promise<void>;
}

/** Turnstile, reCAPTCHA and hCaptcha siteverify endpoints, with `POST /_sim/tokens` to solve a widget from curl. */
export interface DevCaptchaSimulator {
  readonly url: string;
  verifyUrl(provider: 'turnstile' | 'recaptcha' | 'hcaptcha'): string;
  secret(provider: 'turnstile' | 'recaptcha' | 'hcaptcha'): string;
  close(): Promise<void>;
}

export interface DevSimulators {
  startBitrix24Simulator(opts: { port?: number; host?: string; plan?: 'standard' | 'enterprise'; oauth?: { clientId: string; clientSecret: string }; operatingLimitSeconds?: number; bucketLevel?: number | 'full'; otherAppsPerSecond?: number }): Promise<DevBitrix24Simulator>;
  startMetaSimulator(opts: { port?: number; host?: string; appSecret: string; pageTokens: Record<string, string> }): Promise<DevMetaSimulator>;
  startMetaCapiSimulator(opts: { port?: number; host?: string; datasetId: string; accessToken: string }): Promise<DevMetaCapiSimulator>;
  startGoogleAdsSimulator(opts: { port?: number; host?: string; customerId: string; conversionActionIds: string[] }): Promise<DevGoogleAdsSimulator>;
  startLinkedInSimulator(opts: { port?: number; host?: string; clientSecret: string; accessToken: string }): Promise<DevLinkedInSimulator>;
  startCaptchaSimulator(opts: { port?: number; host?: string }): Promise<DevCaptchaSimulator>;
}

/** Loads a module by name; injected by tests to play a production install. */
export type ModuleImporter = (specifier: string) => Promise<unknown>;

export class SimulatorsUnavailableError extends Error {
  constructor(message: string, options?: { cause: unknown }) {
    super(message, options);
    this.name = 'SimulatorsUnavailableError';
  }
}

export const SIMULATORS_MISSING = 'simulators are a development tool: install with dev dependencies (npm ci) to use `leadgate dev`/`leadgate sim`';
export const SIMULATORS_NEED_TSX = 'the simulators ship as TypeScript sources and run through tsx: in a checkout installed with dev dependencies (npm ci), use `npm run dev` or `npm run leadgate -- sim …`';

// A variable specifier keeps tsc from resolving the package: the production build must not need it.
const nativeImport: ModuleImporter = (specifier) => import(specifier);

function errorCode(err: unknown): unknown {
  return err !== null && typeof err === 'object' ? (err as { code?: unknown }).code : undefined;
}

/** Only the package itself missing means a production install; a module missing inside it is a bug to show. */
function isPackageMissing(err: unknown): boolean {
  const code = errorCode(err);
  return (code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND') && String((err as Error).message).includes(SIMULATORS_PACKAGE);
}

function isDevSimulators(value: unknown): value is DevSimulators {
  const candidate = value as Partial<Record<keyof DevSimulators, unknown>> | null;
  return (['startBitrix24Simulator', 'startMetaSimulator', 'startMetaCapiSimulator', 'startGoogleAdsSimulator', 'startLinkedInSimulator', 'startCaptchaSimulator'] as const).every(
    (name) => typeof candidate?.[name] === 'function',
  );
}

export async function loadSimulators(importModule: ModuleImporter = nativeImport): Promise<DevSimulators> {
  let loaded: unknown;
  try {
    loaded = await importModule(SIMULATORS_PACKAGE);
  } catch (err) {
    if (isPackageMissing(err)) throw new SimulatorsUnavailableError(SIMULATORS_MISSING, { cause: err });
    if (errorCode(err) === 'ERR_UNKNOWN_FILE_EXTENSION') throw new SimulatorsUnavailableError(SIMULATORS_NEED_TSX, { cause: err });
    throw err;
  }
  // import() of a CommonJS module may put its exports on `default` only.
  const api = isDevSimulators(loaded) ? loaded : (loaded as { default?: unknown } | null)?.default;
  if (!isDevSimulators(api)) throw new SimulatorsUnavailableError(`${SIMULATORS_PACKAGE} does not export every simulator leadgate dev and sim start (Bitrix24, Meta, Meta CAPI, Google Ads, LinkedIn, CAPTCHA)`);
  return api;
}
