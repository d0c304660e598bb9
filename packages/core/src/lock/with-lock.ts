import type { Lease } from "../contracts.js";
import { LockLostError } from "../errors.js";
import type { LeaseHandle } from "./lease-handle.js";

/**
 * Runs `fn` under `lease`, extending it every `extendEveryMs`; aborts the signal when an
 * extension fails or the lease's time runs out, then rejects with LockLostError. Always releases.
 */
export async function runWithLock<T>(
  lease: LeaseHandle,
  ttl: number,
  extendEveryMs: number,
  fn: (signal: AbortSignal, lease: Lease) => T | Promise<T>,
): Promise<T> {
  const controller = new AbortController();
  let expiryTimer: NodeJS.Timeout | undefined;
  const lose = (why: string) => {
    if (!controller.signal.aborted) controller.abort(new LockLostError(lease.name, why));
  };
  const armExpiry = () => {
    clearTimeout(expiryTimer);
    // Fires at the lease's own deadline even when extension requests hang.
    expiryTimer = setTimeout(() => lose("its ttl ran out before it could be extended"), lease.remainingMs);
  };
  armExpiry();
  let extending = false;
  const extender = setInterval(async () => {
    if (extending || controller.signal.aborted) return;
    extending = true;
    try {
      if (await lease.extend(ttl)) armExpiry();
      else lose("the backend refused to extend it (expired or taken)");
    } catch {
      // A failed request is retried on the next tick; the expiry timer ends the lease if none succeeds.
    } finally {
      extending = false;
    }
  }, extendEveryMs);
  try {
    const result = await fn(controller.signal, lease);
    if (controller.signal.aborted) throw controller.signal.reason;
    return result;
  } finally {
    clearInterval(extender);
    clearTimeout(expiryTimer);
    await lease.release().catch(() => false);
  }
}
