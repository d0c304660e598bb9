/**
 * The depth each delta record is based on, as Subversion's skip-deltas: record n holds the elements
 * gained since depth n - B^t (B^t the largest power of B dividing n). A load then reads the digit sum
 * of n in base B records (at most 20 at depth 200, a few more per factor of 16), and each element is
 * stored in about log_B(n) records, so a thread stores under 2x its final state at 200 versions.
 */
const BASE = 16;

export function baseDepth(depth: number): number {
  let step = 1;
  while (depth % (step * BASE) === 0) step *= BASE;
  return depth - step;
}
