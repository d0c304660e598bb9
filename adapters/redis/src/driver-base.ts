import { ClosedError } from "@stowage/core";
import type { RedisClient } from "./client.js";
import type { RedisConnection } from "./connection.js";
import { toStowageError } from "./errors.js";
import type { KeyLayout } from "./key-layout.js";

/** What the cache, lock and checkpoint drivers share: the connection, the key layout, and one guarded way to run a command. */
export abstract class RedisDriverBase {
  protected readonly connection: RedisConnection;
  protected readonly layout: KeyLayout;
  readonly #isClosed: () => boolean;
  readonly #label: string;

  constructor(connection: RedisConnection, layout: KeyLayout, isClosed: () => boolean, label: string) {
    this.connection = connection;
    this.layout = layout;
    this.#isClosed = isClosed;
    this.#label = label;
  }

  /** Throws ClosedError once the backend is closed. */
  protected assertOpen(): void {
    if (this.#isClosed()) throw new ClosedError("redis backend");
  }

  /**
   * Runs `operation` on the connection; every failure (also a synchronous throw, or the store
   * being closed) becomes a rejected promise with a StowageError naming the operation. Written
   * with then() rather than async/await: one promise and one microtask less per command.
   */
  protected run<T>(what: string, operation: (client: RedisClient) => Promise<T>): Promise<T> {
    let pending: Promise<T>;
    try {
      this.assertOpen();
      const upgrade = this.layout.pendingUpgrade();
      pending = upgrade ? upgrade.then(() => this.connection.use(operation)) : this.connection.use(operation);
    } catch (error) {
      return Promise.reject(toStowageError(error, `${this.#label} ${what}`));
    }
    return pending.then(undefined, (error: unknown) => {
      throw toStowageError(error, `${this.#label} ${what}`);
    });
  }
}
