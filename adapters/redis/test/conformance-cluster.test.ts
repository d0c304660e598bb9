import { startCluster } from "../src/testing/index.js";
import { conformanceOn } from "./conformance-topologies.js";

// The ElastiCache shape: three primaries, TLS on every node and on the cluster bus.
await conformanceOn("redis Cluster with TLS (3 primaries)", () => startCluster(3, { tls: true }));
