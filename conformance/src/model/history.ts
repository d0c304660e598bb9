import { type Expectation, type Observed, showObserved } from "./outcome.js";

/** The steps of one generated history as they ran, so a failure shows what the store answered, step by step. */
export class History {
  readonly #steps: string[] = [];

  /** Records a step and what it answered. */
  record(call: string, seen: Observed): void {
    this.#steps.push(`${call} -> ${showObserved(seen)}`);
  }

  /** The error a step that the model does not allow fails the history with. */
  mismatch(call: string, seen: Observed, allowed: readonly Expectation[], why?: string): Error {
    const expected = [...new Set(allowed.map((e) => e.text))].join(" | ") || "(nothing)";
    const lines = this.#steps.map((step, i) => `  ${String(i + 1).padStart(2)}. ${step}`);
    return new Error(
      `model mismatch at step ${this.#steps.length + 1}: ${call} answered ${showObserved(seen)}, ` +
        `the model allows ${expected}${why ? ` (${why})` : ""}\n` +
        `history of this run, as the store answered it:\n${lines.join("\n")}\n  ${String(lines.length + 1).padStart(2)}. ${call} -> ${showObserved(seen)}   <-- here`,
    );
  }
}
