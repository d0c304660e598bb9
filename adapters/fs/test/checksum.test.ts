import { closeSync, mkdtempSync, openSync, rmSync, writevSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { crc32 } from "../src/checksum.js";

describe("fs: record checksums", () => {
  it("the CRC-32 of chunks is the CRC-32 of their concatenation, empty chunks included", () => {
    fc.assert(
      fc.property(fc.array(fc.uint8Array({ maxLength: 64 }), { maxLength: 5 }), (chunks) => {
        expect(crc32(...chunks)).toBe(crc32(Buffer.concat(chunks)));
      }),
    );
  });

  it("an empty chunk that went through writevSync does not reset the running checksum (Node 20's zlib.crc32 does)", () => {
    const dir = mkdtempSync(join(tmpdir(), "stowage-crc-"));
    try {
      const empty = Buffer.alloc(0);
      const head = Buffer.from("head");
      const fd = openSync(join(dir, "f"), "w");
      writevSync(fd, [head, empty, head]);
      closeSync(fd);
      expect(crc32(head, empty, head)).toBe(crc32(Buffer.concat([head, head])));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
