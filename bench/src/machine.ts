import { cpus, totalmem } from "node:os";
import type { MachineInfo } from "./result.js";

/** What the figures were measured on. */
export function machineInfo(): MachineInfo {
  const cores = cpus();
  return {
    node: process.version,
    platform: process.platform,
    arch: process.arch,
    cpus: cores.length,
    cpuModel: cores[0]?.model.trim() ?? "unknown",
    memoryBytes: totalmem(),
  };
}
