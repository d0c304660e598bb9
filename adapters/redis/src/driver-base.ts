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

  /** Runs `operation` on the connection; every failure becomes a StowageError naming the operation. */
  protected async run<T>(what: string, operation: (client: RedisClient) => Promise<T>): Promise<T> {
    this.assertOpen();
    try {
      return await this.connection.use(operation);
    } catch (error) {
      throw toStowageError(error, `${this.#label} ${what}`);
    }
  }
}
