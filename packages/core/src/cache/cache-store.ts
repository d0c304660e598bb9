import { assertFunction, assertObject, assertOptions } from "../arguments.js";
import type { Codec } from "../codecs/codec.js";
import type { Cache, CacheStats, GetOrSetOptions, JsonPathOps, OperationLatency, SetOptions } from "../contracts.js";
import type { CacheDriver, StoredEntry } from "../drivers/cache-driver.js";
import { InvalidArgumentError, isStowageError, SerializationError } from "../errors.js";
import { deleteAtPath, getAtPath, parseJsonPath, setAtPath } from "../json-path.js";
import { assertKey, assertKeys, assertPrefix } from "../keys.js";
import { events } from "../observability/channels.js";
import { OperationStats } from "../observability/operation-stats.js";
import { type BackendHandle, StoreBase } from "../store-base.js";
import { assertTtl, expiresAtFor, remainingMs } from "../ttl.js";
import { assertEntryFitsLimit, assertValueFits, DEFAULT_MAX_VALUE_BYTES } from "../value-size.js";
import { countingErrors } from "./error-counting.js";
import { SingleFlight } from "./single-flight.js";

/** Options of a cache store, as core resolves them from configuration. */
export interface CacheStoreOptions {
  namespace: string;
  codec: Codec;
  /** TTL (ms) for writes that give none; undefined = entries never expire. */
  defaultTtl?: number;
  /** Largest encoded value accepted, in bytes. */
  maxValueBytes: number;
  /** The backend's size limit (maxSize), when one is set: an entry that alone exceeds it is refused. */
  maxSizeBytes?: number;
}

export { DEFAULT_MAX_VALUE_BYTES };

/** The cache contract over any backend's CacheDriver: validation, codec, TTL and counters live here once. */
export class CacheStore extends StoreBase implements Cache {
  readonly namespace: string;
  readonly driver: CacheDriver;
  readonly #codec: Codec;
  readonly #defaultTtl: number | undefined;
  readonly #maxValueBytes: number;
  readonly #maxSizeBytes: number | undefined;
  readonly #flights = new SingleFlight();
  readonly #stats: Omit<CacheStats, "operations"> = {
    hits: 0,
    misses: 0,
    sets: 0,
    deletes: 0,
    loads: 0,
    sharedLoads: 0,
    degradedLoads: 0,
    errors: 0,
  };
  /** Latency of each operation, recorded by the instrument() wrapper storage.ts applies. */
  readonly operations = new OperationStats();
  /** The driver without the error count, for stats() itself (reading stats is not an operation that fails). */
  readonly #uncounted: CacheDriver;
  /** What the backend last said it holds, for stats() while it does not answer. */
  #lastSize = { entries: 0, bytes: 0 };
  readonly json: JsonPathOps;

  constructor(driver: CacheDriver, handle: BackendHandle, options: CacheStoreOptions) {
    super(handle, `cache "${options.namespace}"`);
    if (options.defaultTtl !== undefined) assertTtl(options.defaultTtl, "defaultTtl");
    this.#uncounted = driver;
    this.driver = countingErrors(driver, () => this.#stats.errors++);
    this.namespace = options.namespace;
    this.#codec = options.codec;
    this.#defaultTtl = options.defaultTtl;
    this.#maxValueBytes = options.maxValueBytes;
    this.#maxSizeBytes = options.maxSizeBytes;
    this.json = {
      get: (key, path) => this.#jsonGet(key, path),
      set: (key, path, value, opts) => this.#jsonSet(key, path, value, opts),
      del: (key, path) => this.#jsonDel(key, path),
    };
  }

  #encode(key: string, value: unknown): Uint8Array {
    const bytes = this.#codec.encode(value);
    this.#assertFits(key, bytes.byteLength);
    return bytes;
  }

  /** The text encoding of `value`, within the limits in UTF-8 (counted exactly only when it could exceed one). */
  #encodeText(encodeText: (value: unknown) => string, key: string, value: unknown): string {
    const text = encodeText(value);
    // One UTF-16 unit is at most 3 UTF-8 bytes, so short texts need no byte count.
    const bound = Math.min(this.#maxValueBytes, this.#maxSizeBytes ?? Number.POSITIVE_INFINITY);
    if (text.length * 3 + 2 * Buffer.byteLength(key) + 64 > bound)
      this.#assertFits(key, Buffer.byteLength(text, "utf8"));
    return text;
  }

  #assertFits(key: string, bytes: number): void {
    assertValueFits(bytes, this.#maxValueBytes);
    assertEntryFitsLimit(key, bytes, this.#maxSizeBytes);
  }

  #entry(key: string, value: unknown, options: SetOptions | undefined): StoredEntry {
    const expiresAt = expiresAtFor(options?.ttl, this.#defaultTtl);
    return { value: this.#encode(key, value), expiresAt };
  }

  #decode<T>(key: string, entry: StoredEntry | undefined): T | undefined {
    return this.#decodeValue<T>(key, entry?.value);
  }

  #decodeValue<T>(key: string, value: Uint8Array | undefined): T | undefined {
    if (value === undefined) {
      this.#missed(key);
      return undefined;
    }
    this.#stats.hits++;
    if (events.cacheHit.hasSubscribers) events.cacheHit.publish({ namespace: this.namespace, key });
    return this.#codec.decode(value) as T;
  }

  #missed(key: string): void {
    this.#stats.misses++;
    if (events.cacheMiss.hasSubscribers) events.cacheMiss.publish({ namespace: this.namespace, key });
  }

  #wrote(key: string): void {
    this.#stats.sets++;
    if (events.cacheSet.hasSubscribers) events.cacheSet.publish({ namespace: this.namespace, key });
  }

  #deleted(key: string): void {
    this.#stats.deletes++;
    if (events.cacheDelete.hasSubscribers) events.cacheDelete.publish({ namespace: this.namespace, key });
  }

  /** The live value's bytes, through the driver's cheaper getValue when it has one. */
  #value(key: string): Promise<Uint8Array | undefined> {
    // Not async: returning the driver's promise from an async function costs extra microtask turns.
    if (this.driver.getValue) return this.driver.getValue(key);
    return this.driver.get(key).then((entry) => entry?.value);
  }

  async get<T = unknown>(key: string): Promise<T | undefined> {
    this.assertOpen();
    assertKey(key);
    return this.#decodeValue<T>(key, await this.#value(key));
  }

  async getMany<T = unknown>(keys: readonly string[]): Promise<(T | undefined)[]> {
    this.assertOpen();
    assertKeys(keys);
    if (keys.length === 0) return [];
    const entries = await this.driver.getMany(keys);
    return entries.map((entry, i) => this.#decode<T>(keys[i] as string, entry));
  }

  async set(key: string, value: unknown, options?: SetOptions): Promise<void> {
    this.assertOpen();
    assertKey(key);
    assertOptions(options);
    const encodeText = this.#codec.encodeText;
    if (encodeText && this.driver.setText) {
      // Text straight to a driver that takes text: no encoding to bytes that the driver decodes again.
      const expiresAt = expiresAtFor(options?.ttl, this.#defaultTtl);
      await this.driver.setText(key, this.#encodeText(encodeText, key, value), expiresAt);
    } else {
      await this.driver.set(key, this.#entry(key, value, options));
    }
    this.#wrote(key);
  }

  async setMany(entries: readonly { key: string; value: unknown; ttl?: number }[]): Promise<void> {
    this.assertOpen();
    if (!Array.isArray(entries)) throw new InvalidArgumentError("setMany takes an array of { key, value, ttl? }");
    const prepared = entries.map((item: unknown, i) => {
      assertObject(item, `setMany entries[${i}]`);
      const { key, value, ttl } = item as { key: string; value: unknown; ttl?: number };
      assertKey(key);
      return { key, entry: this.#entry(key, value, ttl === undefined ? undefined : { ttl }) };
    });
    if (prepared.length === 0) return;
    await this.driver.setMany(prepared);
    this.#stats.sets += prepared.length;
    if (events.cacheSet.hasSubscribers)
      for (const { key } of prepared) events.cacheSet.publish({ namespace: this.namespace, key });
  }

  async delete(key: string): Promise<boolean> {
    this.assertOpen();
    assertKey(key);
    const removed = await this.driver.delete(key);
    if (removed) this.#deleted(key);
    return removed;
  }

  async deleteMany(keys: readonly string[]): Promise<number> {
    this.assertOpen();
    assertKeys(keys);
    if (keys.length === 0) return 0;
    const removed = await this.driver.deleteMany(keys);
    this.#stats.deletes += removed;
    // The drivers count removals, not which keys: each named key is reported.
    if (removed > 0 && events.cacheDelete.hasSubscribers)
      for (const key of new Set(keys)) events.cacheDelete.publish({ namespace: this.namespace, key });
    return removed;
  }

  async has(key: string): Promise<boolean> {
    this.assertOpen();
    assertKey(key);
    return (await this.#value(key)) !== undefined;
  }

  async ttl(key: string): Promise<number | undefined> {
    this.assertOpen();
    assertKey(key);
    const entry = await this.driver.get(key);
    return entry === undefined ? undefined : remainingMs(entry.expiresAt);
  }

  async incr(key: string, by = 1, options?: SetOptions): Promise<number> {
    this.assertOpen();
    assertKey(key);
    assertOptions(options);
    if (!Number.isSafeInteger(by))
      throw new InvalidArgumentError(`incr step must be a safe integer, got ${String(by)}`);
    const value = await this.driver.incr(key, by, expiresAtFor(options?.ttl, this.#defaultTtl));
    if (!Number.isSafeInteger(value)) throw new SerializationError(`counter "${key}" left the safe integer range`);
    this.#wrote(key);
    return value;
  }

  async add(key: string, value: unknown, options?: SetOptions): Promise<boolean> {
    this.assertOpen();
    assertKey(key);
    assertOptions(options);
    const stored = await this.driver.add(key, this.#entry(key, value, options));
    if (stored) this.#wrote(key);
    return stored;
  }

  async getOrSet<T>(key: string, load: () => T | Promise<T>, options?: GetOrSetOptions): Promise<T> {
    this.assertOpen();
    assertKey(key);
    assertFunction(load, "getOrSet's load");
    assertOptions(options);
    if (options?.ttl !== undefined) assertTtl(options.ttl);
    const onDown = options?.onBackendUnavailable;
    if (onDown !== undefined && onDown !== "throw" && onDown !== "load")
      throw new InvalidArgumentError(`onBackendUnavailable must be "throw" or "load", got ${String(onDown)}`);
    const [promise, shared] = this.#flights.run(key, async () => {
      let cached: Uint8Array | undefined;
      try {
        cached = await this.#value(key);
      } catch (error) {
        if (onDown !== "load" || !isStowageError(error, "ERR_BACKEND_UNAVAILABLE")) throw error;
        return this.#degradedLoad(key, load);
      }
      if (cached !== undefined) return this.#decodeValue<T>(key, cached) as T;
      this.#missed(key);
      this.#stats.loads++;
      const value = await load();
      const entry = this.#entry(key, value, options);
      try {
        await this.driver.set(key, entry);
      } catch (error) {
        if (onDown !== "load" || !isStowageError(error, "ERR_BACKEND_UNAVAILABLE")) throw error;
        this.#stats.degradedLoads++;
        return value;
      }
      this.#wrote(key);
      return value;
    });
    if (shared) this.#stats.sharedLoads++;
    return promise;
  }

  /** The loader's value, not stored: the backend did not answer (onBackendUnavailable: "load"). */
  async #degradedLoad<T>(key: string, load: () => T | Promise<T>): Promise<T> {
    this.#missed(key);
    this.#stats.loads++;
    const value = await load();
    this.#stats.degradedLoads++;
    return value;
  }

  async *keys(prefix = ""): AsyncIterable<string> {
    this.assertOpen();
    assertPrefix(prefix);
    yield* this.driver.keys(prefix);
  }

  async clear(): Promise<void> {
    this.assertOpen();
    await this.driver.clear();
  }

  async gc(): Promise<number> {
    this.assertOpen();
    return this.driver.gc();
  }

  /** Counters are readable at all times: while the backend is down, entries and bytes are the last known (sizeStale). */
  async stats(): Promise<CacheStats & { entries: number; bytes: number }> {
    this.assertOpen();
    const details = this.#uncounted.statsDetails ? await this.#uncounted.statsDetails() : {};
    const operations: Record<string, OperationLatency> = this.operations.snapshot();
    try {
      this.#lastSize = await this.#uncounted.size();
      return { ...details, ...this.#stats, operations, ...this.#lastSize };
    } catch {
      return { ...details, ...this.#stats, operations, ...this.#lastSize, sizeStale: true };
    }
  }

  async #jsonGet<T>(key: string, path: string): Promise<T | undefined> {
    this.assertOpen();
    assertKey(key);
    const segments = parseJsonPath(path);
    const value = await this.#value(key);
    if (value === undefined) return undefined;
    return getAtPath(this.#codec.decode(value), segments) as T | undefined;
  }

  async #jsonSet(key: string, path: string, value: unknown, options?: SetOptions): Promise<void> {
    this.assertOpen();
    assertKey(key);
    assertOptions(options);
    const segments = parseJsonPath(path);
    this.#codec.encode(value); // refuse an unencodable value before touching the document
    const createdExpiry = expiresAtFor(options?.ttl, this.#defaultTtl);
    await this.driver.update(key, (current) => {
      const doc = current === undefined ? undefined : this.#codec.decode(current.value);
      const next = setAtPath(doc, segments, value);
      return { value: this.#encode(key, next), expiresAt: current === undefined ? createdExpiry : current.expiresAt };
    });
    this.#wrote(key);
  }

  async #jsonDel(key: string, path: string): Promise<boolean> {
    this.assertOpen();
    assertKey(key);
    const segments = parseJsonPath(path);
    let removed = false;
    await this.driver.update(key, (current) => {
      removed = false;
      if (current === undefined) return undefined;
      const [next, didRemove] = deleteAtPath(this.#codec.decode(current.value), segments);
      removed = didRemove;
      if (!didRemove) return undefined;
      if (segments.length === 0) return null;
      return { value: this.#encode(key, next), expiresAt: current.expiresAt };
    });
    if (removed) this.#deleted(key);
    return removed;
  }
}
