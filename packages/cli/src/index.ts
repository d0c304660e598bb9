export { describeError, EXIT, exitCodeFor } from "./exit-codes.js";
export { buildProgram, runCli } from "./program.js";
