// The local stack's API authorizer, in a thread of its own as API Gateway runs it as a function of
// its own: its CPU (bcrypt) and its waits (Keystone) never hold up the api's event loop. Plain
// JavaScript so that it starts the same under tsx (`npm start`) and under vitest; it registers tsx
// to load the TypeScript handler named by `workerData.entry`.
import { readlinkSync } from 'node:fs';
import { setPriority } from 'node:os';
import { parentPort, workerData } from 'node:worker_threads';
import { register } from 'tsx/esm/api';

// Below the api's CPU priority, as a separate function is in AWS: checking passwords must not take
// the CPU from answering requests. On Linux a thread has its own nice value, set through its id
// (/proc/thread-self names it); elsewhere the thread keeps the process's priority.
try {
  setPriority(Number(readlinkSync('/proc/thread-self').split('/').pop()), 10);
} catch {
  // not Linux, or not allowed: same priority as the api
}
register();
const { handler } = await import(workerData.entry);
parentPort.on('message', async ({ id, event }) => {
  try {
    parentPort.postMessage({ id, result: await handler(event) });
  } catch (err) {
    parentPort.postMessage({ id, error: err instanceof Error ? `${err.name}: ${err.message}` : String(err) });
  }
});
parentPort.postMessage({ ready: true });
