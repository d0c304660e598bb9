import { fileURLToPath } from "node:url";

// Helpers for tests of stowage and of third-party adapters: import from "@stowage/conformance/testing".
export { assertFenceEpochsRise, type FenceEpochTarget } from "./fence-epochs.js";
export { freePort } from "./free-port.js";
export { expectOldStoreReadable, type OldStoreRecords, readOldStoreRecords } from "./old-store.js";
export { type JsonLine, type JsonLinesChild, spawnJsonLines } from "./spawn-json-lines.js";
export { type TempDir, tempDir } from "./temp-dir.js";
export { eventually, retrying, waitUntil } from "./wait-until.js";

/** The path of a script that opens the URL in its first argument and prints { opened: true } or { code, message }. */
export const OPEN_URL_WORKER = fileURLToPath(new URL("./open-url.js", import.meta.url));
