/**
 * The local stack as a process of its own, for the crash test (`test/ironic/crash-recovery.test.ts`),
 * which kills it with SIGKILL mid-batch and starts it again on the same data: settings from the
 * environment (as `npm start`), data under `STACK_DATA_DIR`, any free port. Prints `LISTENING <url>`
 * once it answers; stops cleanly on SIGTERM.
 */
import { startLocalStack } from '../../scripts/local-stack.ts';

const dataDir = process.env.STACK_DATA_DIR;
if (dataDir === undefined) throw new Error('STACK_DATA_DIR is not set');
const stack = await startLocalStack({ port: 0, dataDir });
process.stdout.write(`LISTENING ${stack.url}\n`);
process.on('SIGTERM', () => {
  void stack.stop().then(() => process.exit(0));
});
