/** Fixture: a global setup that fails, as when DynamoDB Local or Ironic does not start. */
export function setup(): void {
  throw new Error('DynamoDB Local did not start');
}
