import type {
  CheckpointDriver,
  CheckpointPageQuery,
  LoadedCheckpoint,
  StoredBlob,
  StoredCheckpoint,
  StoredWrite,
} from "@stowage/core";
import { CheckpointReader } from "./checkpoint-read.js";
import { CHECKPOINT_SQL, type CheckpointStatements } from "./checkpoint-sql.js";
import { CheckpointWriter } from "./checkpoint-write.js";
import type { SqliteFile } from "./sqlite-file.js";

/**
 * One namespace of checkpoints in the shared database file: checkpoints, channel blobs and pending
 * writes. Reads are in checkpoint-read.ts, writes in checkpoint-write.ts, the SQL in checkpoint-sql.ts;
 * the backend wraps this driver in the file's edge, which turns SQLite failures into StowageErrors.
 */
export class SqliteCheckpointDriver implements CheckpointDriver {
  readonly #read: CheckpointReader;
  readonly #write: CheckpointWriter;
  readonly #file: SqliteFile;

  constructor(file: SqliteFile, namespace: string) {
    // Prepared before the driver is wrapped in its edge, so SQLite errors are translated here.
    const sql = file.use(
      () =>
        Object.fromEntries(
          Object.entries(CHECKPOINT_SQL).map(([name, text]) => [name, file.db.prepare(text)]),
        ) as CheckpointStatements,
    );
    this.#file = file;
    this.#read = new CheckpointReader(file, namespace, sql);
    this.#write = new CheckpointWriter(file, namespace, sql);
  }

  async put(checkpoint: StoredCheckpoint, blobs: readonly StoredBlob[]): Promise<void> {
    return this.#file.commitLater(() => this.#write.put(checkpoint, blobs));
  }

  async get(threadId: string, ns: string, id: string | undefined): Promise<LoadedCheckpoint | undefined> {
    return this.#read.get(threadId, ns, id);
  }

  async listPage(query: CheckpointPageQuery): Promise<StoredCheckpoint[]> {
    return this.#read.listPage(query);
  }

  async listLoadedPage(query: CheckpointPageQuery): Promise<LoadedCheckpoint[]> {
    return this.#read.listLoadedPage(query);
  }

  async putWrites(threadId: string, ns: string, checkpointId: string, writes: readonly StoredWrite[]): Promise<void> {
    return this.#file.commitLater(() => this.#write.putWrites(threadId, ns, checkpointId, writes));
  }

  async deleteThread(threadId: string): Promise<void> {
    return this.#file.commitLater(() => this.#write.deleteThread(threadId));
  }

  async prune(threadId: string, keepLast: number, ns: string | undefined): Promise<number> {
    return this.#file.commitLater(() => this.#write.prune(threadId, keepLast, ns));
  }

  async countThread(threadId: string): Promise<number> {
    return this.#read.countThread(threadId);
  }

  async gc(): Promise<number> {
    // Chunk by chunk, each committed before the next: none joins a shared transaction that commits later.
    this.#file.commitNow();
    return this.#write.gc();
  }

  async size(): Promise<{ threads: number; checkpoints: number }> {
    return this.#read.size();
  }
}
