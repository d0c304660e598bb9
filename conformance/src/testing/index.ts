// Helpers for tests of stowage and of third-party adapters: import from "@stowage/conformance/testing".
export { freePort } from "./free-port.js";
export { type JsonLine, type JsonLinesChild, spawnJsonLines } from "./spawn-json-lines.js";
export { type TempDir, tempDir } from "./temp-dir.js";
export { eventually, retrying, waitUntil } from "./wait-until.js";
