/** An entry of a checkpoint index: ordered by id, then thread and ns so equal ids stay distinct. */
export interface IndexEntry {
  id: string;
  threadId: string;
  ns: string;
}

function compare(a: IndexEntry, b: IndexEntry): number {
  if (a.id !== b.id) return a.id < b.id ? -1 : 1;
  if (a.threadId !== b.threadId) return a.threadId < b.threadId ? -1 : 1;
  return a.ns < b.ns ? -1 : a.ns > b.ns ? 1 : 0;
}

/** A sorted array with binary search: ids arrive mostly in order, so inserts are mostly appends. */
export class SortedIndex {
  entries: IndexEntry[] = [];

  /** Position of the first entry not less than `entry`. */
  #lowerBound(entry: IndexEntry): number {
    let low = 0;
    let high = this.entries.length;
    while (low < high) {
      const mid = (low + high) >>> 1;
      if (compare(this.entries[mid] as IndexEntry, entry) < 0) low = mid + 1;
      else high = mid;
    }
    return low;
  }

  add(entry: IndexEntry): void {
    const last = this.entries.at(-1);
    if (!last || compare(last, entry) < 0) {
      this.entries.push(entry);
      return;
    }
    const at = this.#lowerBound(entry);
    if (at < this.entries.length && compare(this.entries[at] as IndexEntry, entry) === 0) return;
    this.entries.splice(at, 0, entry);
  }

  remove(entry: IndexEntry): void {
    const at = this.#lowerBound(entry);
    if (at < this.entries.length && compare(this.entries[at] as IndexEntry, entry) === 0) this.entries.splice(at, 1);
  }

  /** Removes every entry of a thread in one pass. */
  removeThread(threadId: string): void {
    this.entries = this.entries.filter((entry) => entry.threadId !== threadId);
  }

  /** Entries with id < `before` (all when undefined), newest first, lazily. */
  *newestFirst(before?: string): Iterable<IndexEntry> {
    let at = before === undefined ? this.entries.length : this.#lowerBound({ id: before, threadId: "", ns: "" });
    while (at > 0) yield this.entries[--at] as IndexEntry;
  }
}
