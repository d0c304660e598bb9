import { closeSync, openSync, readSync, statSync } from "node:fs";
import { CorruptDataError } from "@stowage/core";

/**
 * The parts of an LMDB data file (lmdb-js 3.5's LMDB, 64-bit) read before lmdb maps it: a page
 * header of 24 bytes (page number, transaction id, flags, lower and upper bounds), then on the two
 * meta pages the meta record, and on the main database's root page the nodes naming the databases.
 */
const PAGE_HEADER = 24;
const META = {
  magic: 24,
  version: 28,
  mapSize: 40,
  /** The free-list database record, whose first field holds the page size. */
  pageSize: 48,
  freeRoot: 88,
  mainDepth: 102,
  mainRoot: 136,
  lastPage: 144,
  txnId: 152,
};
/** MDB_MAGIC: little-endian at the start of a meta page and of the lock file. */
export const MDB_MAGIC = 0xbeefc0de;
const P_BRANCH = 0x01;
const P_LEAF = 0x02;
const P_META = 0x08;
const P_LEAF2 = 0x20;
/** A node whose value is on overflow pages (its data is their first page number). */
const F_BIGDATA = 0x01;
/** A node holding a named database's record (48 bytes) rather than a value. */
const F_SUBDATA = 0x02;
const DB_RECORD = 48;
const NO_PAGE = 0xffffffffffffffffn;
/** LMDB's cursor stack: no tree is deeper. */
const MAX_DEPTH = 32;
/** Above any address space a 64-bit process maps (2^47). */
const MAX_MAP = 2 ** 47;

function readAt(fd: number, position: number, length: number): Buffer {
  const buffer = Buffer.alloc(length);
  const read = readSync(fd, buffer, 0, length, position);
  return buffer.subarray(0, read);
}

interface Meta {
  txnId: bigint;
  lastPage: bigint;
  mainRoot: bigint;
  freeRoot: bigint;
  mainDepth: number;
  pageSize: number;
}

function readMeta(fd: number, file: string, index: 0 | 1, pageSize: number): Meta {
  const page = readAt(fd, index * pageSize, META.txnId + 8);
  const which = index === 0 ? "first" : "second";
  if (page.length < META.txnId + 8 || page.readUInt32LE(META.magic) !== MDB_MAGIC) {
    throw new CorruptDataError(`${file} is not an LMDB data file (bad magic in the ${which} meta page)`);
  }
  const version = page.readUInt32LE(META.version);
  if (version !== 1 && version !== 2) throw new CorruptDataError(`${file} has an unknown LMDB data version ${version}`);
  if (page.readBigUInt64LE(0) !== BigInt(index) || (page.readUInt16LE(18) & P_META) === 0) {
    throw new CorruptDataError(`${file} has a damaged ${which} meta page (page header)`);
  }
  const mapSize = Number(page.readBigUInt64LE(META.mapSize));
  if (mapSize > MAX_MAP) {
    throw new CorruptDataError(`${file} has a damaged ${which} meta page (map size ${mapSize})`);
  }
  return {
    txnId: page.readBigUInt64LE(META.txnId),
    lastPage: page.readBigUInt64LE(META.lastPage),
    mainRoot: page.readBigUInt64LE(META.mainRoot),
    freeRoot: page.readBigUInt64LE(META.freeRoot),
    mainDepth: page.readUInt16LE(META.mainDepth),
    pageSize: page.readUInt32LE(META.pageSize),
  };
}

/**
 * The meta page LMDB will use, once both are known to be consistent: each commit writes meta
 * page (transaction id mod 2), so the two hold consecutive ids (both 0 in a new file). A flipped
 * id would otherwise make LMDB open the older snapshot, silently.
 */
function currentMeta(first: Meta, second: Meta, file: string): Meta {
  const fresh = first.txnId === 0n && second.txnId === 0n;
  const consecutive = first.txnId - second.txnId === 1n || second.txnId - first.txnId === 1n;
  if ((!fresh && !consecutive) || first.txnId % 2n !== 0n || (second.txnId % 2n !== 1n && !fresh)) {
    throw new CorruptDataError(
      `${file} has damaged meta pages (transaction ids ${first.txnId} and ${second.txnId} are not consecutive)`,
    );
  }
  if (first.pageSize !== second.pageSize) throw new CorruptDataError(`${file} has meta pages of two page sizes`);
  return first.txnId > second.txnId ? first : second;
}

/**
 * Checks the header of the page `pgno` that a root points to: its own page number, a branch or
 * leaf, bounds inside the page, node offsets inside them, and a transaction id no newer than the
 * file's (LMDB takes a newer one for a page it made itself in this transaction and writes it in
 * place, which kills the process: the map is read-only). Only roots are checked, a read each:
 * deeper pages are read by LMDB alone (see README "Corrupt files").
 */
function readPage(fd: number, file: string, pgno: bigint, meta: Meta, what: string): Buffer {
  const { pageSize } = meta;
  const page = readAt(fd, Number(pgno) * pageSize, pageSize);
  const damaged = (detail: string) => new CorruptDataError(`${file} has a damaged ${what} page ${pgno} (${detail})`);
  if (page.length < pageSize || page.readBigUInt64LE(0) !== pgno) throw damaged("page number");
  if (page.readBigUInt64LE(8) > meta.txnId) throw damaged("transaction id newer than the file's");
  const flags = page.readUInt16LE(18);
  if (((flags & P_BRANCH) !== 0) === ((flags & P_LEAF) !== 0)) throw damaged(`flags 0x${flags.toString(16)}`);
  const lower = page.readUInt16LE(20);
  const upper = page.readUInt16LE(22);
  if (lower % 2 !== 0 || lower > upper || PAGE_HEADER + upper > pageSize) throw damaged("bounds");
  if ((flags & P_LEAF2) === 0) {
    for (let i = 0; i < lower / 2; i++) {
      const at = page.readUInt16LE(PAGE_HEADER + 2 * i);
      if (at < upper || PAGE_HEADER + at + 8 > pageSize) throw damaged("node offset");
    }
  }
  return page;
}

/**
 * Pages past the end of the file may exist only as free pages: LMDB counts a page it allocated and
 * freed in one transaction (never written) in the meta page's last page, and leaves it on the free
 * list. Any other page missing from the file is a cut, on which lmdb would die with SIGBUS. Walks
 * the free list (small: one leaf page or a few) only when the file is shorter than that count.
 */
function assertTailFree(fd: number, file: string, meta: Meta, filePages: bigint): void {
  const truncated = () =>
    new CorruptDataError(`${file} is truncated: ${filePages} pages, its meta page uses ${meta.lastPage + 1n}`);
  const missing = meta.lastPage + 1n - filePages;
  if (meta.freeRoot === NO_PAGE || missing > 100_000n) throw truncated();
  const free = new Set<bigint>();
  const pages: bigint[] = [meta.freeRoot];
  for (let visited = 0; pages.length > 0; visited++) {
    const pgno = pages.pop() as bigint;
    if (pgno >= filePages || visited > 10_000) throw truncated();
    const page = readPage(fd, file, pgno, meta, "free-list");
    const branch = (page.readUInt16LE(18) & P_BRANCH) !== 0;
    const lower = page.readUInt16LE(20);
    for (let i = 0; i < lower / 2; i++) {
      const at = PAGE_HEADER + page.readUInt16LE(PAGE_HEADER + 2 * i);
      const low = page.readUInt16LE(at) | (page.readUInt16LE(at + 2) << 16);
      const nodeFlags = page.readUInt16LE(at + 4);
      if (branch) {
        pages.push(BigInt(low) | (BigInt(nodeFlags) << 32n));
        continue;
      }
      const keySize = page.readUInt16LE(at + 6);
      let ids = page.subarray(at + 8 + keySize, at + 8 + keySize + low);
      if ((nodeFlags & F_BIGDATA) !== 0) {
        const overflow = ids.readBigUInt64LE(0);
        if (overflow >= filePages) throw truncated();
        ids = readAt(fd, Number(overflow) * meta.pageSize + PAGE_HEADER, low);
      }
      // An ID list: its length, then page numbers.
      const count = ids.length >= 8 ? Number(ids.readBigUInt64LE(0)) : 0;
      for (let k = 1; k <= count && 8 * k + 8 <= ids.length; k++) free.add(ids.readBigUInt64LE(8 * k));
    }
  }
  for (let pgno = filePages; pgno <= meta.lastPage; pgno++) if (!free.has(pgno)) throw truncated();
}

/** The database records in the main database's root leaf, by name, or undefined when it holds something else. */
function namedDatabases(
  fd: number,
  file: string,
  meta: Meta,
): Map<string, { root: bigint; depth: number }> | undefined {
  const found = new Map<string, { root: bigint; depth: number }>();
  if (meta.mainRoot === NO_PAGE) return found;
  if (meta.mainDepth !== 1) return undefined;
  const { pageSize } = meta;
  const page = readPage(fd, file, meta.mainRoot, meta, "main database");
  if ((page.readUInt16LE(18) & P_LEAF) === 0 || (page.readUInt16LE(18) & P_LEAF2) !== 0) return undefined;
  const lower = page.readUInt16LE(20);
  for (let i = 0; i < lower / 2; i++) {
    const at = PAGE_HEADER + page.readUInt16LE(PAGE_HEADER + 2 * i);
    const size = page.readUInt16LE(at) | (page.readUInt16LE(at + 2) << 16);
    const nodeFlags = page.readUInt16LE(at + 4);
    const keySize = page.readUInt16LE(at + 6);
    if (at + 8 + keySize + size > pageSize) {
      throw new CorruptDataError(`${file} has a damaged main database page (node size)`);
    }
    // A plain key in the main database is another program's data: stowage keeps only named databases there.
    if ((nodeFlags & F_SUBDATA) === 0 || size !== DB_RECORD) return undefined;
    const record = at + 8 + keySize;
    found.set(page.toString("latin1", at + 8, at + 8 + keySize).replace(/\0$/, ""), {
      depth: page.readUInt16LE(record + 6),
      root: page.readBigUInt64LE(record + 40),
    });
  }
  return found;
}

/**
 * Checks an existing data file before lmdb maps it: lmdb-js 3.5 crashes the whole process on a
 * file whose header is not LMDB's (SIGSEGV) or that is shorter than its meta page says (SIGBUS on
 * the first read past the end), where we owe an ERR_CORRUPT_DATA. Checks both meta pages (magic,
 * version, page numbers, page size, map size, consecutive transaction ids), the file's size
 * against the last page in use, that the main database names only `databases` (an environment
 * made by another program, or with databases of its own, is refused untouched), and the header of
 * every database's root page. Damage deeper in the tree surfaces later as MDB_PAGE_NOTFOUND or
 * MDB_CORRUPTED (see errors.ts), or, on a write, can still kill the process (README).
 */
export function checkDataFile(file: string, databases: readonly string[]): void {
  // Another process may be committing while this one reads: its new pages can land before its meta
  // page (durability=process writes the meta lazily), which reads like damage for an instant. Damage
  // that is real reads the same every time; a commit in flight is gone within milliseconds.
  for (let attempt = 1; ; attempt++) {
    try {
      checkDataFileOnce(file, databases);
      return;
    } catch (error) {
      if (!(error instanceof CorruptDataError) || attempt >= CHECK_ATTEMPTS) throw error;
      Atomics.wait(PAUSE, 0, 0, 10 * attempt);
    }
  }
}

const CHECK_ATTEMPTS = 6;
const PAUSE = new Int32Array(new SharedArrayBuffer(4));

function checkDataFileOnce(file: string, databases: readonly string[]): void {
  let size: number;
  try {
    size = statSync(file).size;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return;
    throw error;
  }
  if (size === 0) {
    // LMDB would start an empty store in it: new-environment.ts never leaves one, so it was cut to nothing.
    throw new CorruptDataError(`${file} is empty: a stowage data file is created whole, so this one was cut short`);
  }
  const fd = openSync(file, "r");
  try {
    const probe = readAt(fd, 0, META.pageSize + 4);
    if (probe.length < META.pageSize + 4 || probe.readUInt32LE(META.magic) !== MDB_MAGIC) {
      throw new CorruptDataError(`${file} is not an LMDB data file (bad magic in the first meta page)`);
    }
    const pageSize = probe.readUInt32LE(META.pageSize);
    if (pageSize < 512 || pageSize > 65536 || (pageSize & (pageSize - 1)) !== 0) {
      throw new CorruptDataError(`${file} has an impossible LMDB page size ${pageSize}`);
    }
    if (size < pageSize * 2) throw new CorruptDataError(`${file} is truncated (${size} bytes)`);
    const meta = currentMeta(readMeta(fd, file, 0, pageSize), readMeta(fd, file, 1, pageSize), file);
    const filePages = BigInt(Math.floor(size / pageSize));
    if (filePages <= meta.lastPage) assertTailFree(fd, file, meta, filePages);
    for (const root of [meta.mainRoot, meta.freeRoot]) {
      if (root !== NO_PAGE && (root < 2n || root > meta.lastPage)) {
        throw new CorruptDataError(`${file} has a damaged meta page (root page ${root} of ${meta.lastPage})`);
      }
    }
    if (meta.mainDepth > MAX_DEPTH) throw new CorruptDataError(`${file} has a damaged meta page (depth)`);
    const named = namedDatabases(fd, file, meta);
    const foreign =
      named === undefined ? ["keys of its own"] : [...named.keys()].filter((name) => !databases.includes(name));
    if (foreign.length > 0) {
      throw new CorruptDataError(
        `${file} is an LMDB environment of another program (its main database holds ${foreign.slice(0, 3).join(", ")}), or a stowage one whose pages are damaged; it was left untouched`,
      );
    }
    if (meta.freeRoot !== NO_PAGE) readPage(fd, file, meta.freeRoot, meta, "free-list");
    for (const [name, { root, depth }] of named ?? []) {
      if (root === NO_PAGE) continue;
      if (depth < 1 || depth > MAX_DEPTH || root < 2n || root > meta.lastPage) {
        throw new CorruptDataError(`${file} has a damaged record of database "${name}" (root ${root}, depth ${depth})`);
      }
      readPage(fd, file, root, meta, `"${name}" root`);
    }
  } finally {
    closeSync(fd);
  }
}
