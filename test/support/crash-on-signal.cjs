// Loaded with `node --require` by test/integration/npm-start.test.ts: SIGUSR2 makes the process throw
// an uncaught exception, to see that `npm start` still stops everything it started.
process.on('SIGUSR2', () => {
  setImmediate(() => {
    throw new Error('injected crash');
  });
});
