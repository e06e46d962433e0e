/** Fixture: the vitest process dies during its global setup (out of memory, killed): no report at all. */
export function setup(): void {
  process.exit(3);
}
