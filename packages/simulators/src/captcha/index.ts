export { startCaptchaSimulator } from './captcha-simulator';
export type { CaptchaCall, CaptchaFault, CaptchaSimulator, CaptchaSimulatorOptions, IssuedToken } from './captcha-simulator';
export { PROVIDERS as CAPTCHA_PROVIDERS } from './captcha-providers';
export type { CaptchaProviderName } from './captcha-providers';
