import { InvokeCommand } from '@aws-sdk/client-lambda';
import { continuationPayload } from '../domain/decode/run-request';
import type { Continuation } from '../ports/continuation';
import type { AwsClients } from './clients';

/**
 * Continues in a new invocation of the reconciler function, invoked asynchronously: Lambda keeps
 * the payload in its own durable queue (retried, then sent to the dead-letter queue like any
 * event), and the reconciler's reserved concurrency keeps the chain from running beside itself
 * more than intended. A direct invoke is not an SQS/SNS/S3 loop, so Lambda's recursive loop
 * detection does not cut a long chain.
 */
export function lambdaContinuation(clients: Pick<AwsClients, 'lambda'>, functionName: string): Continuation {
  return {
    async continueWith(request) {
      await clients.lambda.send(
        new InvokeCommand({ FunctionName: functionName, InvocationType: 'Event', Payload: JSON.stringify(continuationPayload(request)) }),
      );
    },
  };
}
