/**
 * Simulators of the services leadgate talks to (Bitrix24 REST, Meta Graph API and webhooks, the
 * Turnstile/reCAPTCHA/hCaptcha siteverify APIs, LinkedIn's Lead Sync API and lead notifications), for
 * `leadgate dev`, `leadgate sim`, the tests, the chaos suite and the benchmarks. A development
 * package: the production build and image never contain it.
 */
export * from './bitrix24';
export * from './meta';
export * from './meta-capi';
export * from './google-ads';
export * from './captcha';
export * from './linkedin';
