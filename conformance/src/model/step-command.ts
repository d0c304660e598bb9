import type fc from "fast-check";
import type { History } from "./history.js";

/** A generated step of a history: always runnable, printed as the call it makes. */
export class StepCommand<Model extends object, Real> implements fc.AsyncCommand<Model, Real> {
  readonly #text: string;
  readonly #run: (model: Model, real: Real) => Promise<void>;

  constructor(text: string, run: (model: Model, real: Real) => Promise<void>) {
    this.#text = text;
    this.#run = run;
  }

  check(): boolean {
    return true;
  }

  run(model: Model, real: Real): Promise<void> {
    return this.#run(model, real);
  }

  toString(): string {
    return this.#text;
  }
}

/** A pause between steps, so that short ttls run out mid-history. */
export function pauseCommand<Model extends { history: History }, Real>(ms: number): StepCommand<Model, Real> {
  const call = `pause(${ms} ms)`;
  return new StepCommand(call, async (model) => {
    await new Promise((resolve) => setTimeout(resolve, ms));
    model.history.record(call, { value: undefined });
  });
}
