import type { Writable } from "node:stream";

type WriteArgs = [chunk: unknown, encoding?: unknown, callback?: unknown];
type Write = (...args: WriteArgs) => boolean;

/**
 * Strings up to this length are joined into one string per turn (as ioredis's own pipelines do).
 * Anything else (a command carrying a value of KBs, a Buffer, a write with a callback) goes to
 * the socket at once, after what was joined before it: joining would copy its bytes once more,
 * and holding a large string until the turn ends gets it promoted to V8's old space (a 10 KB set
 * then costs ~40 times the promoted bytes and a Mark-Compact every few hundred ms).
 */
const JOINED_STRING_CHARS = 1024;

/** One socket's short writes during one event-loop turn, joined and sent as one write at flush. */
export class SocketBatch {
  readonly #stream: Writable;
  readonly #write: Write;
  #text = "";

  /** Starts collecting what is written to `stream`; undefined for a socket that cannot be batched. */
  static collect(stream: Writable | undefined): SocketBatch | undefined {
    // A stream with its own write (someone else wraps it) is left alone: its commands go out unbatched.
    if (!stream?.writable || Object.hasOwn(stream, "write")) return undefined;
    return new SocketBatch(stream);
  }

  private constructor(stream: Writable) {
    this.#stream = stream;
    this.#write = stream.write as Write;
    stream.write = ((...args: WriteArgs) => this.#add(args)) as Writable["write"];
  }

  #add(args: WriteArgs): boolean {
    const chunk = args[0];
    if (args.length === 1 && typeof chunk === "string" && chunk.length <= JOINED_STRING_CHARS) {
      this.#text += chunk;
      return true;
    }
    this.#sendText();
    return this.#write.apply(this.#stream, args);
  }

  #sendText(): void {
    if (this.#text === "") return;
    const text = this.#text;
    this.#text = "";
    this.#write.call(this.#stream, text);
  }

  /** Gives the socket back its own write and sends what the turn joined. */
  flush(): void {
    delete (this.#stream as { write?: unknown }).write;
    // A socket that closed meanwhile: ioredis rejects the commands it was given when the close arrives.
    if (this.#stream.writable) this.#sendText();
  }
}
