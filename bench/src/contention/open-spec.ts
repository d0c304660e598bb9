import { peerByName } from "../peers/index.js";
import { openStowage } from "../subjects/stowage.js";
import type { OpenSubject, WorkerSpec } from "../subjects/subject.js";

/** Opens what a worker spec names, in this process. */
export async function openSpec(spec: WorkerSpec, namespace: string): Promise<OpenSubject> {
  if (spec.kind === "url") return openStowage(spec.url, namespace);
  const peer = peerByName(spec.name);
  if (!peer?.open) throw new Error(`no peer named ${spec.name} can run in a worker`);
  return peer.open();
}
