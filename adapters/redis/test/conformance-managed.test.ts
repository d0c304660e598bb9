import { startManagedLike } from "../src/testing/index.js";
import { conformanceOn } from "./conformance-topologies.js";

// CONFIG, KEYS, DEBUG, SAVE, … are renamed away and the default user is off: any use of them fails the suite.
await conformanceOn("redis managed-like (admin commands disabled, ACL user)", startManagedLike);
