import { Annotation, type BaseCheckpointSaver, END, START, StateGraph } from "@langchain/langgraph";

/** An agent's state: a messages channel with a concat reducer and three small channels. */
const AgentState = Annotation.Root({
  messages: Annotation<{ role: string; content: string }[]>({
    reducer: (left, right) => left.concat(right),
    default: () => [],
  }),
  step: Annotation<number>,
  node: Annotation<string>,
  done: Annotation<boolean>,
});

/** About 500 bytes of text per message, as the workload. */
const filler = "lorem ipsum dolor sit amet ".repeat(19);

/** A graph whose one node appends 2 messages of ~500 B per step and loops until `steps` steps ran. */
export function agentGraph(steps: number, checkpointer: BaseCheckpointSaver) {
  return new StateGraph(AgentState)
    .addNode("agent", (state) => {
      const step = (state.step ?? 0) + 1;
      return {
        messages: [
          { role: "user", content: `q${step} ${filler}` },
          { role: "ai", content: `a${step} ${filler}` },
        ],
        step,
        node: `agent-${step % 3}`,
        done: step >= steps,
      };
    })
    .addEdge(START, "agent")
    .addConditionalEdges("agent", (state) => (state.done ? END : "agent"))
    .compile({ checkpointer });
}
