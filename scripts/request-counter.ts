/**
 * Counts the requests an AWS SDK v3 client sends, by command name, retries included: for tests that
 * check request costs and for the benchmarks.
 *
 * @example
 * ```ts
 * const commands = recordCommands(dynamoDbClient);
 * await nodeCache.findNode({ mac });
 * commands.length; // requests sent
 * ```
 */
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { S3Client } from '@aws-sdk/client-s3';

/** Records the command name of every request `client` sends, in order. */
export function recordCommands(client: DynamoDBClient | S3Client): string[] {
  const commands: string[] = [];
  (client as DynamoDBClient).middlewareStack.add(
    (next, context) => async (args) => {
      commands.push(context.commandName ?? 'unknown');
      return next(args);
    },
    // finalizeRequest runs once per attempt, so SDK retries are counted too.
    { step: 'finalizeRequest', name: `recordCommands-${commands.length}-${Math.random()}` },
  );
  return commands;
}
