let sequence = 0;

/** A checkpoint id that sorts by creation time within this process, for the raw peers. */
export function sortableId(): string {
  sequence = (sequence + 1) % 1e9;
  return `${Date.now().toString().padStart(15, "0")}-${sequence.toString().padStart(9, "0")}`;
}
