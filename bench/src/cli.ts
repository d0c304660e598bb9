#!/usr/bin/env node
import { main } from "./main.js";

// `npm run bench … | head` closes stdout early: that is not a failure of the bench.
process.stdout.on("error", (error: NodeJS.ErrnoException) => {
  if (error.code !== "EPIPE") throw error;
  process.exit(process.exitCode ?? 0);
});

process.exitCode = await main(process.argv.slice(2));
