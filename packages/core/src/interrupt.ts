/**
 * Turns the first SIGINT/SIGTERM into a flag that long commands (migrate, gc, check, bench) check
 * at clean points, so they stop there and say how far they got; a second one exits at once (130).
 */
export class Interrupt {
  #signal: NodeJS.Signals | undefined;
  readonly #onSignal = (signal: NodeJS.Signals) => {
    if (this.#signal !== undefined) process.exit(130); // a second ^C: stop at once
    this.#signal = signal;
  };

  constructor() {
    process.on("SIGINT", this.#onSignal);
    process.on("SIGTERM", this.#onSignal);
  }

  get requested(): boolean {
    return this.#signal !== undefined;
  }

  dispose(): void {
    process.off("SIGINT", this.#onSignal);
    process.off("SIGTERM", this.#onSignal);
  }
}

/** Thrown by a loop that saw the interrupt; the command catches it and reports how far it got. */
export class Interrupted extends Error {
  constructor() {
    super("interrupted");
  }
}
