// Feeds OpenTelemetry spans and Prometheus metrics from stowage's diagnostics channels.
// stowage depends on neither library: it only publishes on node:diagnostics_channel.
import diagnostics from "node:diagnostics_channel";
import { SpanStatusCode } from "@opentelemetry/api";
import { EVENT_CHANNELS, TRACE_CHANNELS } from "@stowage/core";
import { Counter, Histogram } from "prom-client";

/** One span per stowage operation, and counters/histograms in `registry`. Returns a function that unhooks. */
export function wireTelemetry({ tracer, registry }) {
  const operationSeconds = new Histogram({
    name: "stowage_operation_duration_seconds",
    help: "Duration of stowage operations",
    labelNames: ["store", "operation", "outcome"],
    buckets: [0.0001, 0.0005, 0.001, 0.005, 0.025, 0.1, 0.5, 2],
    registers: [registry],
  });
  const counter = (name, help, labelNames = ["namespace"]) =>
    new Counter({ name, help, labelNames, registers: [registry] });
  const hits = counter("stowage_cache_hits_total", "Cache reads that found a value", ["namespace", "tier"]);
  const misses = counter("stowage_cache_misses_total", "Cache reads that found nothing", ["namespace", "tier"]);
  const sets = counter("stowage_cache_sets_total", "Cache writes");
  const deletes = counter("stowage_cache_deletes_total", "Cache entries removed");
  const acquired = counter("stowage_lock_acquisitions_total", "Leases granted");
  const released = counter("stowage_lock_releases_total", "Leases released while valid");
  const lost = counter("stowage_lock_lost_total", "Leases found expired or taken");
  const timeouts = counter("stowage_lock_timeouts_total", "acquire calls that gave up");
  const lockWait = new Histogram({
    name: "stowage_lock_wait_seconds",
    help: "Time acquire calls waited for a held lock",
    labelNames: ["namespace"],
    buckets: [0.001, 0.01, 0.05, 0.1, 0.5, 1, 5],
    registers: [registry],
  });
  const checkpoints = counter("stowage_checkpoint_puts_total", "Checkpoints stored");
  const threadsDeleted = counter("stowage_checkpoint_thread_deletes_total", "Threads deleted");
  const unavailable = counter("stowage_backend_unavailable_total", "Times a backend became unavailable", ["store"]);
  const busReconnects = counter("stowage_bus_reconnects_total", "Hybrid cache bus reconnections");

  const spans = new WeakMap();
  const started = new WeakMap();
  const unhook = [];
  for (const name of Object.values(TRACE_CHANNELS)) {
    const handlers = {
      start(context) {
        started.set(context, performance.now());
        spans.set(
          context,
          tracer.startSpan(`stowage.${context.store}.${context.operation}`, {
            attributes: {
              "stowage.store": context.store,
              "stowage.operation": context.operation,
              "stowage.namespace": context.namespace,
              ...(context.target !== undefined ? { "stowage.target": context.target } : {}),
            },
          }),
        );
      },
      error(context) {
        const span = spans.get(context);
        span?.recordException(context.error);
        span?.setStatus({ code: SpanStatusCode.ERROR, message: context.error?.code ?? String(context.error) });
      },
      asyncEnd(context) {
        const seconds = (performance.now() - started.get(context)) / 1000;
        const outcome = "error" in context ? "error" : "ok";
        operationSeconds.observe({ store: context.store, operation: context.operation, outcome }, seconds);
        spans.get(context)?.end();
      },
    };
    const channel = diagnostics.tracingChannel(name);
    channel.subscribe(handlers);
    unhook.push(() => channel.unsubscribe(handlers));
  }

  const on = (name, listener) => {
    diagnostics.subscribe(name, listener);
    unhook.push(() => diagnostics.unsubscribe(name, listener));
  };
  on(EVENT_CHANNELS.cacheHit, (m) => hits.inc({ namespace: m.namespace, tier: m.tier ?? "store" }));
  on(EVENT_CHANNELS.cacheMiss, (m) => misses.inc({ namespace: m.namespace, tier: m.tier ?? "store" }));
  on(EVENT_CHANNELS.cacheSet, (m) => sets.inc({ namespace: m.namespace }));
  on(EVENT_CHANNELS.cacheDelete, (m) => deletes.inc({ namespace: m.namespace }));
  on(EVENT_CHANNELS.lockAcquired, (m) => acquired.inc({ namespace: m.namespace }));
  on(EVENT_CHANNELS.lockReleased, (m) => released.inc({ namespace: m.namespace }));
  on(EVENT_CHANNELS.lockLost, (m) => lost.inc({ namespace: m.namespace }));
  on(EVENT_CHANNELS.lockTimeout, (m) => timeouts.inc({ namespace: m.namespace }));
  on(EVENT_CHANNELS.lockWaited, (m) => lockWait.observe({ namespace: m.namespace }, m.waitedMs / 1000));
  on(EVENT_CHANNELS.checkpointPut, (m) => checkpoints.inc({ namespace: m.namespace }));
  on(EVENT_CHANNELS.checkpointDelete, (m) => threadsDeleted.inc({ namespace: m.namespace }));
  on(EVENT_CHANNELS.backendUnavailable, (m) => unavailable.inc({ store: m.store }));
  on(EVENT_CHANNELS.busReconnect, (m) => busReconnects.inc({ namespace: m.namespace }));
  return () => {
    for (const off of unhook) off();
  };
}
