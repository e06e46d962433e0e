/**
 * `npm start`: the local stack on http://127.0.0.1:5050 (`PORT` changes it), with DynamoDB Local and
 * s3rver embedded and their data kept under `.data/local` between runs. Ironic from `IRONIC_URL`
 * (default http://127.0.0.1:6385; `scripts/ironic-standalone.sh start` runs one).
 */
import { resolve } from 'node:path';
import { startLocalStack } from './local-stack.ts';

const dataDir = resolve(import.meta.dirname, '..', '.data', 'local');
const stack = await startLocalStack({ dataDir });
const ironic = stack.runtime.config.ironic.url;
console.error(`Serverless Inspector listening on ${stack.url} (Ironic at ${ironic}, data in ${dataDir})`);
console.error(
  `Ramdisk callbacks accepted from ${stack.runtime.config.callbackAllowedCidrs} (CALLBACK_ALLOWED_CIDRS)`,
);
console.error(`Try: curl -s ${stack.url}/v1/introspection`);

let stopping = false;
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    if (stopping) process.exit(1);
    stopping = true;
    console.error('Stopping…');
    void stack.stop().then(() => process.exit(0));
  });
}
