// One freePort for every workspace's tests: the kit's (with its Cluster bus-port option).
export { freePort } from "@stowage/conformance/testing";
