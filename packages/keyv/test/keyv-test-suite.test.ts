import keyvTestSuite, { keyvIteratorTests } from "@keyv/test-suite";
import { createStorage, type Storage } from "@stowage/core";
import Keyv from "keyv";
import * as vitest from "vitest";
import { StowageKeyvStore } from "../src/index.js";
import { backendsUnderTest, inNamespace, releaseBackends } from "./backends.js";

const { afterAll, beforeAll, describe } = vitest;

const backends = await backendsUnderTest("keyv-suite");
afterAll(releaseBackends);

for (const backend of backends) {
  if (backend.skip) {
    console.log(`@stowage/keyv: @keyv/test-suite skipped on ${backend.name}: ${backend.skip}`);
    describe.skip(`@keyv/test-suite on ${backend.name} (skipped: ${backend.skip})`, () => {});
    continue;
  }
  describe(`@keyv/test-suite on ${backend.name}`, () => {
    let storage: Storage;
    beforeAll(async () => {
      storage = await createStorage(inNamespace(backend.url, `keyv-suite-${process.pid}`));
      await storage.cache.clear();
    });
    afterAll(async () => {
      await storage.cache.clear();
      await storage.close();
    });
    // The suites build a fresh Keyv per test over store(); every store shares the one cache.
    const store = () => new StowageKeyvStore(storage.cache);
    keyvTestSuite(vitest, Keyv, store);
    keyvIteratorTests(vitest, Keyv, store);
  });
}
