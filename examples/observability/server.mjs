// A small service on stowage: cached model lookups, jobs under a lock that checkpoint their
// progress, Prometheus metrics on /metrics and the finished OpenTelemetry spans on /spans.
import { createServer } from "node:http";
import { trace } from "@opentelemetry/api";
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from "@opentelemetry/sdk-trace-base";
import { createStorage } from "@stowage/core";
import { collectDefaultMetrics, Registry } from "prom-client";
import { wireTelemetry } from "./telemetry.mjs";

// In production: an OTLP exporter in a BatchSpanProcessor. In memory here, so /spans can show them.
const exporter = new InMemorySpanExporter();
trace.setGlobalTracerProvider(new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] }));
const registry = new Registry();
collectDefaultMetrics({ register: registry });
wireTelemetry({ tracer: trace.getTracer("stowage-example"), registry });

// STOWAGE_URL names the backend (sqlite:///…, redis://…); ./.stowage/stowage.db when unset.
const storage = await createStorage();

/** A slow lookup the cache saves us from repeating. */
async function loadModel(id) {
  await new Promise((resolve) => setTimeout(resolve, 20));
  return { id, status: "ready", loadedAt: new Date().toISOString() };
}

async function runJob(id) {
  return storage.lock.withLock(
    `job:${id}`,
    async () => {
      const { id: checkpointId } = await storage.checkpoint.put({ threadId: `job-${id}`, payload: { step: 1 } });
      await storage.cache.incr(`job:${id}:runs`);
      return { job: id, checkpointId };
    },
    { ttl: 10_000, waitMs: 2_000 },
  );
}

const routes = [
  [
    /^GET \/models\/([^/]+)$/,
    async (id) => storage.cache.getOrSet(`model:${id}`, () => loadModel(id), { ttl: 60_000 }),
  ],
  [/^POST \/jobs\/([^/]+)$/, (id) => runJob(id)],
  [/^DELETE \/jobs\/([^/]+)$/, async (id) => ({ deleted: await storage.checkpoint.deleteThread(`job-${id}`) })],
  [/^GET \/stats$/, async () => ({ cache: await storage.cache.stats(), lock: await storage.lock.stats() })],
  [
    /^GET \/spans$/,
    async () =>
      exporter
        .getFinishedSpans()
        .map((span) => ({ name: span.name, status: span.status.code, attributes: span.attributes })),
  ],
];

const server = createServer(async (request, response) => {
  if (request.method === "GET" && request.url === "/metrics") {
    response.writeHead(200, { "content-type": registry.contentType });
    response.end(await registry.metrics());
    return;
  }
  const line = `${request.method} ${decodeURI(request.url ?? "/")}`;
  for (const [pattern, handle] of routes) {
    const match = pattern.exec(line);
    if (!match) continue;
    try {
      const body = await handle(...match.slice(1));
      response.writeHead(200, { "content-type": "application/json" });
      response.end(JSON.stringify(body ?? null, (_key, value) => (typeof value === "bigint" ? String(value) : value)));
    } catch (error) {
      response.writeHead(error?.code === "ERR_INVALID_KEY" ? 400 : 500, { "content-type": "application/json" });
      response.end(JSON.stringify({ code: error?.code, message: error?.message }));
    }
    return;
  }
  response.writeHead(404).end();
});

server.listen(Number(process.env.PORT ?? 3000), "127.0.0.1", () => {
  console.log(`listening on http://127.0.0.1:${server.address().port}`);
});

for (const signal of ["SIGINT", "SIGTERM"]) {
  process.once(signal, () => {
    server.close();
    void storage.close().then(() => process.exit(0));
  });
}
