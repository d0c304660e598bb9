import { createHash } from "node:crypto";
import { closeSync, type FSWatcher, mkdirSync, openSync, utimesSync, watch } from "node:fs";
import { join } from "node:path";
import { ReleaseSignal, sleepUntilWoken, type WakeSource } from "./release-signal.js";

/**
 * Release hints across the processes of one machine: a release touches its key's file in a
 * directory the store's processes share; each process watches the directory once (inotify,
 * kqueue, ReadDirectoryChangesW) and wakes its waiters of that key. A missed event costs a poll.
 */
export class WakeDirectory {
  readonly #dir: string;
  readonly #local = new ReleaseSignal();
  #watcher: FSWatcher | undefined;
  #closed = false;

  constructor(dir: string) {
    this.#dir = dir;
  }

  // A digest names the file: any lock name, of any length or characters, is one safe file name.
  #fileName(key: string): string {
    return createHash("sha256").update(key).digest("hex").slice(0, 40);
  }

  /**
   * After a release: wakes the key's waiters in this process at once and in the others through
   * their watch; one utimes, a failed one when no process ever waited for the key.
   */
  notify(key: string): void {
    const name = this.#fileName(key);
    this.#local.notify(name);
    const now = new Date();
    try {
      utimesSync(join(this.#dir, name), now, now);
    } catch {
      // Nobody has waited for the key (no file) or the directory is gone: nobody to wake.
    }
  }

  /** The wake source for `key`: creates its file so releases touch it, and starts this process's watch. */
  source(key: string): WakeSource {
    const name = this.#fileName(key);
    return (wake) => {
      if (this.#closed) return () => {};
      try {
        mkdirSync(this.#dir, { recursive: true, mode: 0o700 });
        closeSync(openSync(join(this.#dir, name), "a"));
        this.#watch();
      } catch {
        // No watch here (full inotify table, read-only directory): the waiter polls.
        return () => {};
      }
      return this.#local.source(name)(wake);
    };
  }

  #watch(): void {
    if (this.#watcher) return;
    const watcher = watch(this.#dir, { persistent: false }, (_event, entry) => {
      if (entry !== null) this.#local.notify(entry.toString());
    });
    watcher.on("error", () => {
      if (this.#watcher === watcher) this.#watcher = undefined;
      watcher.close();
    });
    this.#watcher = watcher;
  }

  /** Sleeps up to `timeoutMs`, or until a release of `key` in any process of the machine; true when woken. */
  wait(key: string, timeoutMs: number, signal?: AbortSignal): Promise<boolean> {
    return sleepUntilWoken(timeoutMs, signal, this.source(key));
  }

  /** Stops this process's watch. */
  close(): void {
    this.#closed = true;
    this.#watcher?.close();
    this.#watcher = undefined;
  }
}
