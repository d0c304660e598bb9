// A LangGraph workflow whose state lives in stowage, so it survives the process that ran it.
//
//   node examples/langgraph-restart/graph.mjs start  sqlite:///tmp/demo.db run-1   # stops before "publish"
//   node examples/langgraph-restart/graph.mjs resume sqlite:///tmp/demo.db run-1   # a new process finishes it
//
// The same two commands work with redis://127.0.0.1:6379 (or any stowage URL).
import { Annotation, END, START, StateGraph } from "@langchain/langgraph";
import { createStowageSaver } from "@stowage/langgraph";

const [phase, url, threadId = "demo-thread"] = process.argv.slice(2);
if (!["start", "resume", "show"].includes(phase) || !url) {
  console.error("usage: node graph.mjs start|resume|show <stowage URL> [thread id]");
  process.exit(2);
}

const State = Annotation.Root({
  topic: Annotation(),
  log: Annotation({ reducer: (left, right) => left.concat(right), default: () => [] }),
  draft: Annotation(),
});

const graph = new StateGraph(State)
  .addNode("research", (state) => ({ log: [`research ${state.topic} (pid ${process.pid})`] }))
  .addNode("write", (state) => ({ draft: `A note on ${state.topic}`, log: [`write (pid ${process.pid})`] }))
  .addNode("publish", (state) => ({ log: [`publish "${state.draft}" (pid ${process.pid})`] }))
  .addEdge(START, "research")
  .addEdge("research", "write")
  .addEdge("write", "publish")
  .addEdge("publish", END);

const checkpointer = await createStowageSaver(url);
try {
  // A human approves before publishing: the run stops there and the process may exit.
  const app = graph.compile({ checkpointer, interruptBefore: ["publish"] });
  const config = { configurable: { thread_id: threadId } };
  if (phase === "start") await app.invoke({ topic: "durable agents" }, config);
  if (phase === "resume") await app.invoke(null, config);
  const snapshot = await app.getState(config);
  console.log(JSON.stringify({ phase, next: snapshot.next, values: snapshot.values }));
} finally {
  await checkpointer.end();
}
