export * from './linkedin-simulator';
