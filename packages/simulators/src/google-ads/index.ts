export * from './google-ads-simulator';
