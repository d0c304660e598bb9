import { startCluster } from "../src/testing/index.js";
import { conformanceOn } from "./conformance-topologies.js";

await conformanceOn("redis Cluster (3 primaries)", () => startCluster(3));
