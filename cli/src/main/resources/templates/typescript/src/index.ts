import { registerWorker } from "iii-sdk";

// iii injects III_URL when it starts this worker
const iii = registerWorker(process.env.III_URL ?? "ws://localhost:49134", { workerName: "{{name}}" });

iii.registerFunction("{{name}}::hello", async (input: { name?: string }) => {
  return { message: `hello, ${input?.name ?? "world"}` };
});

console.log("{{name}} worker ready");
