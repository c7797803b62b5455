/**
 * Waits for `work` at most `ms`: true when it settled in time, false when the time ran out first (the
 * work goes on; the caller decides what to force). A rejection counts as settled.
 */
export async function settleWithin(work: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<boolean>((resolve) => {
    timer = setTimeout(() => resolve(false), ms);
  });
  try {
    return await Promise.race([work.then(() => true, () => true), expired]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * `work`'s own outcome when it settles within `ms`, else a rejection: for reads that may wait on a
 * connection that is not there yet (BullMQ's queues wait for Redis as long as it takes), where an
 * answer without them beats no answer.
 */
export async function answeredWithin<T>(work: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
  });
  work.catch(() => undefined);
  try {
    return await Promise.race([work, expired]);
  } finally {
    clearTimeout(timer);
  }
}
