import { startTls } from "../src/testing/index.js";
import { conformanceOn } from "./conformance-topologies.js";

await conformanceOn("redis TLS (rediss://, CA file)", startTls);
