import { type ChildProcess, spawn } from "node:child_process";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import type { ReaderAnswer, ReaderJob } from "./damage-reader.js";

const READER = fileURLToPath(new URL("./damage-reader.js", import.meta.url));

/** How a job ended: an answer, or the reader died (signal or exit code) or did not answer in time. */
export type JobResult = { answer: ReaderAnswer } | { crashed: string } | { hung: number };

/**
 * One reader process kept across jobs (a process start costs more than a job), started again
 * after a job that killed it or that it did not finish within the timeout.
 */
export class ReaderProcess {
  readonly #imports: readonly string[];
  #child: ChildProcess | undefined;
  #stderr = "";
  #pending: ((line: string | { exit: string }) => void) | undefined;
  #ready: Promise<void> | undefined;

  constructor(imports: readonly string[]) {
    this.#imports = imports;
  }

  #start(): Promise<void> {
    const child = spawn(process.execPath, [READER], {
      env: { ...process.env, STOWAGE_CONFORMANCE_IMPORTS: JSON.stringify(this.#imports) },
      stdio: ["pipe", "pipe", "pipe"],
    });
    this.#child = child;
    this.#stderr = "";
    child.stderr?.on("data", (chunk: Buffer) => {
      this.#stderr = (this.#stderr + chunk.toString()).slice(-2000);
    });
    const ready = new Promise<void>((resolve, reject) => {
      let started = false;
      createInterface({ input: child.stdout as NodeJS.ReadableStream }).on("line", (line) => {
        if (!started) {
          started = true;
          resolve();
          return;
        }
        this.#pending?.(line);
      });
      child.once("exit", (code, signal) => {
        const exit = signal ? `killed by ${signal}` : `exited with code ${code}`;
        if (!started) reject(new Error(`the damage reader ${exit} before it was ready: ${this.#stderr}`));
        if (this.#child === child) this.#child = undefined;
        this.#pending?.({ exit: `${exit}${this.#stderr ? `; stderr: ${this.#stderr.trim()}` : ""}` });
      });
    });
    return ready;
  }

  /** Runs one job; a reader that dies or overruns `timeoutMs` is reported (and replaced for the next job). */
  async run(job: ReaderJob, timeoutMs: number): Promise<JobResult> {
    if (!this.#child) this.#ready = this.#start();
    await this.#ready;
    const child = this.#child;
    if (!child) return { crashed: "the reader exited before the job was sent" };
    return new Promise<JobResult>((resolve) => {
      const timer = setTimeout(() => {
        this.#pending = undefined;
        this.#child = undefined;
        child.kill("SIGKILL");
        resolve({ hung: timeoutMs });
      }, timeoutMs);
      this.#pending = (line) => {
        clearTimeout(timer);
        this.#pending = undefined;
        if (typeof line === "string") resolve({ answer: JSON.parse(line) as ReaderAnswer });
        else resolve({ crashed: line.exit });
      };
      child.stdin?.write(`${JSON.stringify(job)}\n`);
    });
  }

  /** Ends the reader process. */
  close(): void {
    const child = this.#child;
    this.#child = undefined;
    if (child && child.exitCode === null) child.kill("SIGKILL");
  }
}
