/**
 * `npm start`: the local stack on http://127.0.0.1:5050 (`PORT` changes it), with DynamoDB Local and
 * s3rver embedded and their data kept under `.data/local` (`LOCAL_DATA_DIR` changes it) between runs.
 * Ironic from `IRONIC_URL` (default http://127.0.0.1:6385; `scripts/ironic-standalone.sh start` runs
 * one). A port in use is one line naming `PORT`; whatever ends the process stops what it started
 * (`scripts/exit-handlers.ts`).
 */
import { resolve } from 'node:path';
import { describeFailure, stopOnExit } from './exit-handlers.ts';
import { type LocalStack, startLocalStack } from './local-stack.ts';

const dataDir = process.env.LOCAL_DATA_DIR || resolve(import.meta.dirname, '..', '.data', 'local');
let stack: LocalStack | undefined;
let starting: Promise<LocalStack> | undefined;
const exit = stopOnExit(
  async () => {
    // A signal during the start: wait for it (a failed start has stopped what it started).
    const started = stack ?? (await starting?.catch(() => undefined));
    await started?.stop();
  },
  { log: (line) => console.error(line) },
);

try {
  starting = startLocalStack({ dataDir });
  stack = await starting;
} catch (err) {
  await exit(1, `Serverless Inspector could not start: ${describeFailure(err)}`);
}
if (stack !== undefined) {
  const ironic = stack.runtime.config.ironic.url;
  console.error(`Serverless Inspector listening on ${stack.url} (Ironic at ${ironic}, data in ${dataDir})`);
  console.error(
    `Ramdisk callbacks accepted from ${stack.runtime.config.callbackAllowedCidrs} (CALLBACK_ALLOWED_CIDRS)`,
  );
  console.error(`Try: curl -s ${stack.url}/v1/introspection`);
}
