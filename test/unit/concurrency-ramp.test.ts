import { ConcurrencyRamp } from '../../src/worker/concurrency-ramp';

describe('ConcurrencyRamp (issue 15: the first batch goes while the rest of the held leads are taken)', () => {
  it('starts with one batch and asks for one more each time as many jobs have started', () => {
    const ramp = new ConcurrencyRamp(150, 50);
    const worker = { concurrency: 0 };
    ramp.attach(worker);
    expect(ramp.initial).toBe(50);
    expect(worker.concurrency).toBe(50);
    for (let i = 0; i < 49; i += 1) ramp.started();
    expect(worker.concurrency).toBe(50);
    ramp.started();
    expect(worker.concurrency).toBe(100);
    for (let i = 0; i < 50; i += 1) ramp.started();
    expect(worker.concurrency).toBe(150);
    for (let i = 0; i < 200; i += 1) ramp.started();
    expect(worker.concurrency).toBe(150);
  });

  it('jobs finishing during the ramp do not stall it (it counts starts, not jobs held)', () => {
    const ramp = new ConcurrencyRamp(150, 50);
    const worker = { concurrency: 0 };
    ramp.attach(worker);
    for (let i = 0; i < 50; i += 1) {
      ramp.started();
      if (i % 2 === 0) ramp.ended();
    }
    expect(worker.concurrency).toBe(100);
  });

  it('goes back to one batch once the worker has no job left, and ramps again with the next burst', () => {
    const ramp = new ConcurrencyRamp(150, 50);
    const worker = { concurrency: 0 };
    ramp.attach(worker);
    for (let i = 0; i < 100; i += 1) ramp.started();
    expect(worker.concurrency).toBe(150);
    for (let i = 0; i < 99; i += 1) ramp.ended();
    expect(worker.concurrency).toBe(150);
    ramp.ended();
    expect(worker.concurrency).toBe(50);
    for (let i = 0; i < 50; i += 1) ramp.started();
    expect(worker.concurrency).toBe(100);
  });

  it('never asks for more than the full concurrency, nor for less than one job', () => {
    const small = new ConcurrencyRamp(30, 50);
    expect(small.initial).toBe(30);
    const one = new ConcurrencyRamp(10, 0);
    expect(one.initial).toBe(1);
    one.attach({ concurrency: 0 });
    one.started();
    expect(one.initial).toBe(2);
  });
});
