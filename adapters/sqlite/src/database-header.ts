import { closeSync, openSync, readSync, statSync } from "node:fs";
import { CorruptDataError } from "@stowage/core";
import Database from "better-sqlite3";
import { APPLICATION_ID } from "./schema.js";

/** The 100-byte header every SQLite database file begins with (https://sqlite.org/fileformat.html). */
const HEADER_BYTES = 100;
const MAGIC = Buffer.from("SQLite format 3\0", "latin1");

function readHeader(path: string): Buffer {
  const fd = openSync(path, "r");
  try {
    const header = Buffer.alloc(HEADER_BYTES);
    return header.subarray(0, readSync(fd, header, 0, HEADER_BYTES, 0));
  } finally {
    closeSync(fd);
  }
}

/** What is wrong with the header of a file stowage wrote, or undefined; stowage never changes these fields. */
function damagedField(header: Buffer): string | undefined {
  const pageSize = header.readUInt16BE(16) === 1 ? 65536 : header.readUInt16BE(16);
  if (pageSize < 512 || (pageSize & (pageSize - 1)) !== 0) return `page size ${pageSize}`;
  for (const offset of [18, 19]) {
    if (header[offset] !== 1 && header[offset] !== 2) return `file format version ${header[offset]} at byte ${offset}`;
  }
  if (header[20] !== 0) return `${header[20]} reserved bytes per page`;
  if (header[21] !== 64 || header[22] !== 32 || header[23] !== 32) return "payload fractions";
  const schemaFormat = header.readUInt32BE(44);
  if (schemaFormat < 1 || schemaFormat > 4) return `schema format ${schemaFormat}`;
  if (header.readUInt32BE(52) !== 0 || header.readUInt32BE(64) !== 0) return "auto-vacuum fields";
  if (header.readUInt32BE(56) !== 1) return `text encoding ${header.readUInt32BE(56)} (stowage writes UTF-8, 1)`;
  if (!header.subarray(72, 92).every((byte) => byte === 0)) return "reserved bytes 72-91";
  return undefined;
}

/** The application id as SQLite reads it, from a connection that cannot write: for a file whose header may lag its -wal. */
function applicationIdThroughSqlite(path: string): number {
  const db = new Database(path, { readonly: true, fileMustExist: true });
  try {
    return db.pragma("application_id", { simple: true }) as number;
  } finally {
    db.close();
  }
}

/**
 * Refuses a file that is not a stowage database before anything opens it for writing, so that a
 * foreign or damaged file is left as it was (a read-write open would switch it to WAL mode and
 * leave -wal and -shm files beside it). Stowage creates its files whole, stamped with its
 * application id (sqlite-file.ts), so the id in the header decides; only a file an older release
 * created (it stamped the id inside the WAL) with its -wal still beside it is asked through a
 * read-only connection. An empty file is refused too: stowage never leaves one, so it is either a
 * store cut to nothing or someone else's. ERR_CORRUPT_DATA either way: a foreign file cannot be
 * told from a stowage file whose marks are damaged.
 */
export function assertStowageDatabase(path: string): void {
  const header = readHeader(path);
  if (header.length === 0) {
    throw new CorruptDataError(
      `${path} is an empty file, not a stowage database (stowage never leaves one empty: it was cut short, or is another program's); remove it or point the URL at a new path`,
    );
  }
  if (header.length < HEADER_BYTES || !header.subarray(0, 16).equals(MAGIC)) {
    throw new CorruptDataError(
      `${path} is not an SQLite database (${header.length < HEADER_BYTES ? "too short" : "no SQLite header"})`,
    );
  }
  let applicationId = header.readUInt32BE(68);
  const unstamped = applicationId === 0 && header.readUInt32BE(40) === 0 && header.readUInt32BE(60) === 0;
  if (unstamped && (statSync(`${path}-wal`, { throwIfNoEntry: false })?.size ?? 0) > 0) {
    // The current page 1 is in the -wal: SQLite reads it there, and checks it, so the stale one here is not judged.
    if (applicationIdThroughSqlite(path) === APPLICATION_ID) return;
    applicationId = 0;
  }
  if (applicationId !== APPLICATION_ID) {
    throw new CorruptDataError(
      `${path} is an SQLite database of another application (application_id ${applicationId}${unstamped ? ", an empty schema" : ""}), or a stowage database whose header is damaged; it was left untouched`,
    );
  }
  const damaged = damagedField(header);
  if (damaged) throw new CorruptDataError(`${path} has a damaged SQLite header (${damaged})`);
  if (!statSync(`${path}-wal`, { throwIfNoEntry: false })) assertWhole(path, header);
}

/**
 * A file cut short: SQLite reads the missing part of a page as zeros, so a page cut inside reads
 * as one with fewer rows, silently. Checked only with no -wal beside the file, that is with no
 * other connection open: a checkpoint running in another process writes the header's page count
 * before the pages it counts.
 */
function assertWhole(path: string, header: Buffer): void {
  const pageSize = header.readUInt16BE(16) === 1 ? 65536 : header.readUInt16BE(16);
  const size = statSync(path).size;
  // The header's page count holds only while its "version valid for" matches the change counter.
  const pages = header.readUInt32BE(92) === header.readUInt32BE(24) ? header.readUInt32BE(28) : 0;
  if (size % pageSize !== 0 || size < pages * pageSize) {
    throw new CorruptDataError(
      `${path} is cut short: ${size} bytes, ${pages > 0 ? `its header counts ${pages} pages` : "not whole pages"} of ${pageSize} bytes`,
    );
  }
}
