/**
 * The lock steps the arrival-order tests script, run the same way in a worker process (commands
 * on stdin, events on stdout) and in the test's own process (memory://, several stores). Nothing
 * here imports vitest: worker processes load it.
 */
import { isStowageError, type Lease, type LockDriver, type Storage } from "@stowage/core";

/** Nanoseconds on CLOCK_MONOTONIC, which every process on this machine shares. */
export const monotonicNs = (): bigint => process.hrtime.bigint();

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** One acquire a contender makes: `tag` names it in every event it causes. */
export interface AcquireStep {
  op: "acquire";
  tag: string;
  name: string;
  ttl?: number;
  waitMs?: number;
  retryDelayMs?: number;
  /** Released this long after the grant; held until a release step when left out. */
  holdMs?: number;
}

/** A step of the script: acquire, release a held lease (then, at once, maybe acquire again), abort a wait, tryAcquire. */
export type LockStep =
  | AcquireStep
  | { op: "release"; tag: string; andThen?: AcquireStep }
  | { op: "abort"; tag: string }
  | { op: "try"; tag: string; name: string; ttl?: number };

/**
 * What a contender reports, one event per line: `asking` once acquire is called, `refused` once
 * the backend refused its first attempt (the wait is in line), then `granted` (token, monotonic ns) or `failed` (the error's code, or "aborted"), `released` (release's
 * answer) and `tried` (tryAcquire's token or null; a lease it got is released at once).
 */
export interface LockEvent {
  tag: string;
  event: "asking" | "refused" | "granted" | "failed" | "released" | "tried";
  token?: string | null;
  at?: string;
  code?: string;
  message?: string;
  ok?: boolean;
  /** On `failed` after an abort step: whether acquire rejected with the signal's reason itself. */
  isReason?: boolean;
}

/** Runs lock steps against one storage, reporting through `say`; one per contender. */
export class LockStepRunner {
  readonly #storage: Storage;
  readonly #say: (event: LockEvent) => void;
  readonly #held = new Map<string, Lease>();
  readonly #waits = new Map<string, AbortController>();
  /** Per lock name, the acquire step whose first refused attempt is still to be reported. */
  readonly #firstAttempt = new Map<string, string>();
  readonly #watching: boolean;

  /**
   * `watchAttempts: false` (callers sharing one store, which line up in core's in-process queue
   * when acquire is called) reports `refused` right after `asking` instead of watching the driver.
   */
  constructor(storage: Storage, say: (event: LockEvent) => void, options: { watchAttempts?: boolean } = {}) {
    this.#storage = storage;
    this.#say = say;
    this.#watching = options.watchAttempts ?? true;
    if (this.#watching) this.#watchAttempts();
  }

  /**
   * Puts a view of this store's driver in its place that reports a refused tryAcquire: the one
   * backend-neutral sign that a wait is in line. Only this store's view: drivers may be shared.
   */
  #watchAttempts(): void {
    const lock = this.#storage.lock as unknown as { driver?: LockDriver };
    const driver = lock.driver;
    if (!driver) throw new Error("the arrival-order tests need the lock store's driver (a LockStore)");
    const refused = (name: string) => {
      const tag = this.#firstAttempt.get(name);
      if (tag === undefined) return;
      this.#firstAttempt.delete(name);
      this.#say({ tag, event: "refused", at: `${monotonicNs()}` });
    };
    const watched = new Proxy(driver, {
      get(target, property) {
        const value = Reflect.get(target, property, target);
        if (property === "tryAcquire")
          // The rest (acquireLoop's { placeMs }) passes through: Redis takes its queue place with it.
          return async (name: string, ttl: number, ...rest: [{ placeMs: number }?]) => {
            const grant = await target.tryAcquire(name, ttl, ...rest);
            if (!grant) refused(name);
            return grant;
          };
        return typeof value === "function" ? value.bind(target) : value;
      },
    });
    Object.defineProperty(lock, "driver", { value: watched, configurable: true, writable: false });
  }

  /** Starts a step; its events follow. A step's own failure is reported, never thrown. */
  run(step: LockStep): void {
    void this.#run(step).catch((error: unknown) =>
      this.#say({ tag: step.tag, event: "failed", code: "STEP", message: String(error) }),
    );
  }

  async #run(step: LockStep): Promise<void> {
    if (step.op === "acquire") return this.#acquire(step);
    if (step.op === "abort") {
      this.#waits.get(step.tag)?.abort(new Error(`wait ${step.tag} aborted by the test`));
      return;
    }
    if (step.op === "try") {
      const lease = await this.#storage.lock.tryAcquire(step.name, { ttl: step.ttl ?? 10_000 });
      this.#say({
        tag: step.tag,
        event: "tried",
        token: lease ? lease.token.toString() : null,
        at: `${monotonicNs()}`,
      });
      await lease?.release();
      return;
    }
    const lease = this.#held.get(step.tag);
    if (!lease) throw new Error(`no lease held under ${step.tag}`);
    this.#held.delete(step.tag);
    const ok = await lease.release();
    // The next acquire is started before anything is printed: "at once" means no turn of the event loop lost.
    const next = step.andThen ? this.#acquire(step.andThen) : undefined;
    this.#say({ tag: step.tag, event: "released", ok, at: `${monotonicNs()}` });
    await next;
  }

  async #acquire(step: AcquireStep): Promise<void> {
    const controller = new AbortController();
    this.#waits.set(step.tag, controller);
    this.#firstAttempt.set(step.name, step.tag);
    const asked = this.#storage.lock.acquire(step.name, {
      ttl: step.ttl ?? 10_000,
      waitMs: step.waitMs ?? 30_000,
      ...(step.retryDelayMs ? { retryDelayMs: step.retryDelayMs } : {}),
      signal: controller.signal,
    });
    this.#say({ tag: step.tag, event: "asking", at: `${monotonicNs()}` });
    if (!this.#watching) this.#say({ tag: step.tag, event: "refused", at: `${monotonicNs()}` });
    let lease: Lease;
    try {
      lease = await asked;
    } catch (error) {
      const code = isStowageError(error) ? error.code : controller.signal.aborted ? "aborted" : "other";
      const isReason = controller.signal.aborted && error === controller.signal.reason;
      this.#say({ tag: step.tag, event: "failed", code, message: (error as Error).message, isReason });
      return;
    } finally {
      this.#waits.delete(step.tag);
      if (this.#firstAttempt.get(step.name) === step.tag) this.#firstAttempt.delete(step.name);
    }
    this.#say({ tag: step.tag, event: "granted", token: lease.token.toString(), at: `${monotonicNs()}` });
    if (step.holdMs === undefined) {
      this.#held.set(step.tag, lease);
      return;
    }
    await sleep(step.holdMs);
    const ok = await lease.release();
    this.#say({ tag: step.tag, event: "released", ok, at: `${monotonicNs()}` });
  }

  /** Releases what is still held (a test that failed half-way). */
  async releaseAll(): Promise<void> {
    for (const controller of this.#waits.values()) controller.abort(new Error("test over"));
    await Promise.allSettled([...this.#held.values()].map((lease) => lease.release()));
    this.#held.clear();
  }
}

/** One locked increment of a shared counter, as a counting caller records it. */
export interface CountedRecord {
  caller: number;
  token: string;
  start: string;
  end: string;
  waitMs: number;
}

/**
 * `callers` concurrent callers of one storage, each making `iterations` locked increments of a
 * counter that the lock alone protects: read it, pause 0-2 ms, write it plus one.
 */
export async function countedIncrements(
  storage: Storage,
  name: string,
  iterations: number,
  callers: number,
  counter: { read(): number; write(value: number): void },
): Promise<CountedRecord[]> {
  const records: CountedRecord[] = [];
  await Promise.all(
    Array.from({ length: callers }, async (_, caller) => {
      for (let i = 0; i < iterations; i++) {
        const asked = performance.now();
        const lease = await storage.lock.acquire(name, { ttl: 10_000, waitMs: 120_000, retryDelayMs: 5 });
        const waitMs = performance.now() - asked;
        const start = monotonicNs();
        const seen = counter.read();
        await sleep(Math.floor(Math.random() * 3));
        counter.write(seen + 1);
        const end = monotonicNs();
        if (!(await lease.release())) throw new Error("lease was lost while held");
        records.push({ caller, token: lease.token.toString(), start: start.toString(), end: end.toString(), waitMs });
      }
    }),
  );
  return records;
}
