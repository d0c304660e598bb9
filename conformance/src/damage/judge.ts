import { isDeepStrictEqual } from "node:util";
import type { Outcome, ReaderAnswer } from "./damage-reader.js";
import type { DamagePlan } from "./damage-records.js";

const CORRUPT = "ERR_CORRUPT_DATA";

/** How strictly a damaged store's reads are judged (see the promise in damaged-stores.ts). */
export type Strictness = "record-or-corrupt" | "no-crash-no-other-error";

function show(outcome: Outcome | undefined): string {
  if (outcome === undefined) return "nothing";
  if ("value" in outcome) {
    const text = JSON.stringify(outcome.value);
    return text.length > 160 ? `${text.slice(0, 160)}…` : text;
  }
  if ("code" in outcome) return `${outcome.code} (${outcome.message.slice(0, 160)})`;
  return `a non-StowageError: ${outcome.raw.slice(0, 400)}`;
}

const isCorrupt = (outcome: Outcome | undefined) =>
  outcome !== undefined && "code" in outcome && outcome.code === CORRUPT;

/** What is wrong with one outcome under `strictness`, or undefined when it keeps the promise. */
function fault(outcome: Outcome | undefined, expected: unknown, strictness: Strictness): string | undefined {
  if (outcome === undefined) return "no answer";
  if ("raw" in outcome) return `threw ${show(outcome)}`;
  if ("code" in outcome) return outcome.code === CORRUPT ? undefined : `failed with ${show(outcome)}, not ${CORRUPT}`;
  if (strictness === "no-crash-no-other-error" || isDeepStrictEqual(outcome.value, expected)) return undefined;
  if (outcome.value === null) return `read as absent (expected ${JSON.stringify(expected).slice(0, 120)})`;
  return `returned ${show(outcome)} instead of the record written, ${JSON.stringify(expected).slice(0, 160)}`;
}

/** Every broken promise in a reader's answer for a damaged copy of the store `plan` describes. */
export function judge(answer: ReaderAnswer, plan: DamagePlan, strictness: Strictness): string[] {
  if ("value" in answer.open) {
    const faults: string[] = [];
    plan.reads.forEach((planned, i) => {
      const first = answer.first[i];
      const second = answer.second[i];
      const bad = fault(first, planned.expected, strictness) ?? fault(second, planned.expected, strictness);
      if (bad) faults.push(`${planned.label}: ${bad}`);
      else if (!isDeepStrictEqual(first, second)) {
        faults.push(`${planned.label}: answered ${show(first)} first and ${show(second)} when read again`);
      }
    });
    plan.acquires.forEach((planned, i) => {
      const got = answer.acquires[i];
      const bad = fault(got, undefined, "no-crash-no-other-error");
      if (bad) faults.push(`${planned.label}: ${bad}`);
      else if (strictness === "record-or-corrupt" && got && "value" in got) {
        const token = got.value === null ? undefined : BigInt(got.value as string);
        if (planned.held && token !== undefined) faults.push(`${planned.label}: granted (${token}) a name still held`);
        if (!planned.held && token === undefined) faults.push(`${planned.label}: refused a free name`);
        if (token !== undefined && token <= planned.lastToken) {
          faults.push(`${planned.label}: fencing token ${token} is not above ${planned.lastToken}, given before`);
        }
      }
    });
    if (!("value" in answer.close) && !isCorrupt(answer.close)) faults.push(`close: ${show(answer.close)}`);
    return faults;
  }
  return isCorrupt(answer.open) ? [] : [`open: ${show(answer.open)}, not ${CORRUPT}`];
}
