import { closeSync, openSync, readSync } from "node:fs";
import { join } from "node:path";
import { BackendUnavailableError } from "@stowage/core";
import { MDB_MAGIC } from "./header-check.js";

/** The writer mutex sits in the lock file's second 64-byte cache line (MDB_txninfo.mt2). */
const WRITER_MUTEX = 64;
/** glibc's pthread_mutex_t: the futex word (owner TID when robust) first, the kind at +16. */
const KIND = 16;
/** PTHREAD_MUTEX_ROBUST | PTHREAD_MUTEX_PSHARED, as LMDB initialises it on Linux. */
const ROBUST_SHARED = 0x90;
/** FUTEX_TID_MASK: the owner's thread id; the top bits flag waiters and a dead owner. */
const TID_MASK = 0x3fffffff;
const POLL_MS = 5;

/**
 * Whether another thread holds the environment's writer mutex, read from `lock.mdb` without
 * taking it. Only a layout known for sure (Linux, a live robust process-shared mutex) answers
 * true; anything else (no lock file, another platform or LMDB build) answers false.
 */
export function writerMutexHeld(dir: string): boolean {
  if (process.platform !== "linux") return false;
  let fd: number;
  try {
    fd = openSync(join(dir, "lock.mdb"), "r");
  } catch {
    return false;
  }
  try {
    const bytes = Buffer.alloc(WRITER_MUTEX + KIND + 4);
    if (readSync(fd, bytes, 0, bytes.length, 0) < bytes.length) return false;
    if (bytes.readUInt32LE(0) !== MDB_MAGIC) return false;
    if ((bytes.readUInt32LE(WRITER_MUTEX + KIND) & 0xff) !== ROBUST_SHARED) return false;
    return (bytes.readUInt32LE(WRITER_MUTEX) & TID_MASK) !== 0;
  } catch {
    return false;
  } finally {
    closeSync(fd);
  }
}

/**
 * lmdb-js's `open()` takes the writer mutex synchronously (it opens every database in a
 * `transactionSync`), which would block the event loop for as long as another process stays in
 * a write transaction. So opening first waits here, polling without blocking, for at most
 * `timeoutMs`. A writer that starts between this check and the open still delays the open for
 * that transaction's length, as it would delay any LMDB opener.
 */
export async function waitForWriterMutex(dir: string, timeoutMs: number): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (writerMutexHeld(dir)) {
    if (performance.now() >= deadline) {
      throw new BackendUnavailableError(
        `lmdb at ${dir}: another process held the write lock for over ${timeoutMs} ms (the store's timeout) while opening`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
}
