import { describeConformance, openByUrl } from "@stowage/conformance";

// A named memory backend is shared by every store of this process, so namespaces are what separate tests.
describeConformance({
  name: "memory",
  open: openByUrl("memory://conformance"),
  capabilities: { multiProcess: false, survivesCrash: false, sizeLimit: true },
});
