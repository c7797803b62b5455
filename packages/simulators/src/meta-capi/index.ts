export * from './meta-capi-simulator';
export { validateEvents } from './capi-validation';
