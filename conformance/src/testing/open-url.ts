// A child process's body: opens the URL in argv[2], writes one key and prints one JSON line,
// { opened: true } or the error's { code, message }. Run it as OPEN_URL_WORKER.
import { createStorage } from "@stowage/core";

try {
  const storage = await createStorage(process.argv[2] as string);
  await storage.cache.set("k", 1);
  await storage.close();
  process.stdout.write(`${JSON.stringify({ opened: true })}\n`);
} catch (error) {
  const { code, message } = error as { code?: string; message?: string };
  process.stdout.write(`${JSON.stringify({ code, message })}\n`);
}
