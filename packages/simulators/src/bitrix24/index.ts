export * from './bitrix24-simulator';
export { Bitrix24SimulatorClient, type SimulatorInfo } from './simulator-client';
