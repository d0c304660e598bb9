import { createServer } from "node:net";

function portIsFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once("error", () => resolve(false));
    server.listen(port, "127.0.0.1", () => server.close(() => resolve(true)));
  });
}

/** A loopback port that is free now, and (for Redis Cluster nodes) whose bus port, port + 10000, is free too. */
export async function freePort(options: { withBusPort?: boolean } = {}): Promise<number> {
  for (let attempt = 0; attempt < 200; attempt++) {
    // Random rather than port 0, so parallel test files rarely race for one; below 55535 so port + 10000 stays valid.
    const port = 20_000 + Math.floor(Math.random() * 35_000);
    if (!(await portIsFree(port))) continue;
    if (options.withBusPort && !(await portIsFree(port + 10_000))) continue;
    return port;
  }
  throw new Error("no free loopback port found after 200 attempts");
}
