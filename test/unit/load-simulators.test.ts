import { createRequire } from 'node:module';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as simulators from '@leadgate/simulators';
import {
  loadSimulators,
  SIMULATORS_MISSING,
  SIMULATORS_NEED_TSX,
  SimulatorsUnavailableError,
  type DevSimulators,
  type ModuleImporter,
} from '../../src/cli/load-simulators';

// The CLI writes out the shapes it uses so the production build compiles without the package; this
// assignment fails `npm test`'s type check the day the package stops fitting them.
const fits: DevSimulators = simulators;

// Jest's sandbox has no native import(); require resolves the package the same way from here.
const fromThisCheckout: ModuleImporter = async (specifier) => require(specifier) as unknown;

function coded(code: string, message: string): Error {
  return Object.assign(new Error(message), { code });
}

describe('leadgate dev / leadgate sim load the simulators only when they run', () => {
  it('loads @leadgate/simulators from a checkout installed with dev dependencies', async () => {
    const loaded = await loadSimulators(fromThisCheckout);
    expect(loaded.startBitrix24Simulator).toBe(fits.startBitrix24Simulator);
    const sim = await loaded.startBitrix24Simulator({ host: '127.0.0.1', plan: 'standard' });
    try {
      expect((await fetch(`${sim.url}/_sim/stats`)).status).toBe(200);
    } finally {
      await sim.close();
    }
  });

  it('takes the exports from `default` when import() wraps a CommonJS module', async () => {
    const loaded = await loadSimulators(async () => ({ default: simulators }));
    expect(loaded.startMetaSimulator).toBe(simulators.startMetaSimulator);
  });

  it('says the simulators are a development tool when the package is not installed (npm ci --omit=dev)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'leadgate-prod-install-'));
    try {
      const productionRequire = createRequire(join(dir, 'cli.js'));
      const error = await loadSimulators(async (specifier) => productionRequire(specifier) as unknown).catch((err: unknown) => err);
      expect(error).toBeInstanceOf(SimulatorsUnavailableError);
      expect((error as Error).message).toBe(SIMULATORS_MISSING);
      expect(SIMULATORS_MISSING).toContain('install with dev dependencies (npm ci)');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('gives the same message for native import()\'s ERR_MODULE_NOT_FOUND', async () => {
    const missing = coded('ERR_MODULE_NOT_FOUND', "Cannot find package '@leadgate/simulators' imported from /app/dist/src/cli/load-simulators.js");
    await expect(loadSimulators(() => Promise.reject(missing))).rejects.toThrow(SIMULATORS_MISSING);
  });

  it('points at tsx when plain node meets the TypeScript sources', async () => {
    const raw = coded('ERR_UNKNOWN_FILE_EXTENSION', 'Unknown file extension ".ts" for /app/packages/simulators/src/index.ts');
    await expect(loadSimulators(() => Promise.reject(raw))).rejects.toThrow(SIMULATORS_NEED_TSX);
  });

  it('shows a module missing inside the package as it is: that is a bug, not a production install', async () => {
    const inner = coded('MODULE_NOT_FOUND', "Cannot find module './bitrix24/gone' from packages/simulators/src/index.ts");
    await expect(loadSimulators(() => Promise.reject(inner))).rejects.toBe(inner);
  });
});
