// AddPermission / RemovePermission edit the queue's Policy document as AWS does; and
// RedriveAllowPolicy decides which queues may name a queue as their dead-letter queue.
import {
  AddPermissionCommand,
  CreateQueueCommand,
  RemovePermissionCommand,
  SetQueueAttributesCommand,
  type AddPermissionCommandInput,
} from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { E, attrs, createQueue, expectError, uniq } from '../helpers/sdk.js';

let t: TestServer;
beforeAll(async () => {
  t = await startTestServer();
});
afterAll(async () => t.close());

const add = (input: Partial<AddPermissionCommandInput> & { QueueUrl: string }) =>
  t.client.send(new AddPermissionCommand({ Label: 'L', AWSAccountIds: ['111122223333'], Actions: ['SendMessage'], ...input }));

async function policyOf(url: string): Promise<Record<string, any> | undefined> {
  const p = (await attrs(t, url, ['Policy']))['Policy'];
  return p === undefined ? undefined : (JSON.parse(p) as Record<string, any>);
}

describe('AddPermission / RemovePermission', () => {
  it('adds statements to the Policy document, and RemovePermission takes them out again', async () => {
    const url = await createQueue(t, 'perm');
    const arn = (await attrs(t, url, ['QueueArn']))['QueueArn']!;
    await add({ QueueUrl: url, Label: 'send-one' });
    expect(await policyOf(url)).toEqual({
      Version: '2012-10-17',
      Id: `${arn}/SQSDefaultPolicy`,
      Statement: [
        {
          Sid: 'send-one',
          Effect: 'Allow',
          Principal: { AWS: 'arn:aws:iam::111122223333:root' },
          Action: 'SQS:SendMessage',
          Resource: arn,
        },
      ],
    });
    await add({ QueueUrl: url, Label: 'many_2', AWSAccountIds: ['111122223333', '444455556666'], Actions: ['ReceiveMessage', 'DeleteMessage'] });
    const p = (await policyOf(url))!;
    expect(p['Statement']).toHaveLength(2);
    expect(p['Statement'][1]).toEqual({
      Sid: 'many_2',
      Effect: 'Allow',
      Principal: { AWS: ['arn:aws:iam::111122223333:root', 'arn:aws:iam::444455556666:root'] },
      Action: ['SQS:ReceiveMessage', 'SQS:DeleteMessage'],
      Resource: arn,
    });
    await t.client.send(new RemovePermissionCommand({ QueueUrl: url, Label: 'send-one' }));
    expect((await policyOf(url))!['Statement'].map((s: { Sid: string }) => s.Sid)).toEqual(['many_2']);
    // The last statement takes the whole Policy with it.
    await t.client.send(new RemovePermissionCommand({ QueueUrl: url, Label: 'many_2' }));
    expect(await policyOf(url)).toBeUndefined();
  });

  it('keeps a Policy set through SetQueueAttributes and adds to it', async () => {
    const url = await createQueue(t, 'perm-existing');
    const arn = (await attrs(t, url, ['QueueArn']))['QueueArn']!;
    const own = { Version: '2012-10-17', Id: 'mine', Statement: { Sid: 'own', Effect: 'Allow', Principal: '*', Action: 'sqs:GetQueueUrl', Resource: arn } };
    await t.client.send(new SetQueueAttributesCommand({ QueueUrl: url, Attributes: { Policy: JSON.stringify(own) } }));
    await add({ QueueUrl: url, Label: 'added', Actions: ['*'] });
    const p = (await policyOf(url))!;
    expect(p['Id']).toBe('mine');
    expect(p['Statement'].map((s: { Sid: string }) => s.Sid)).toEqual(['own', 'added']);
    expect(p['Statement'][1]['Action']).toBe('SQS:*');
    await expectError(add({ QueueUrl: url, Label: 'own' }), E.invalidParameterValue('Value own for parameter Label is invalid. Reason: Already exists.'));
  });

  it("rejects AWS's invalid inputs", async () => {
    const url = await createQueue(t, 'perm-bad');
    await add({ QueueUrl: url, Label: 'dup' });
    await expectError(add({ QueueUrl: url, Label: 'dup' }), E.invalidParameterValue('Value dup for parameter Label is invalid. Reason: Already exists.'));
    await expectError(add({ QueueUrl: url, Label: 'bad label!' }), E.invalidParameterValue(/^Value bad label! for parameter Label is invalid\./));
    await expectError(add({ QueueUrl: url, Label: 'x'.repeat(81) }), E.invalidParameterValue(/for parameter Label is invalid/));
    await expectError(add({ QueueUrl: url, Label: 'a', AWSAccountIds: [] }), E.invalidParameterValue('Value [] for parameter PrincipalId is invalid. Reason: Unable to verify.'));
    await expectError(add({ QueueUrl: url, Label: 'a', Actions: [] }), E.missingParameter('Actions'));
    await expectError(
      add({ QueueUrl: url, Label: 'a', Actions: ['CreateQueue'] }),
      E.invalidParameterValue('Value SQS:CreateQueue for parameter ActionName is invalid. Reason: Only the queue owner is allowed to invoke this action.'),
    );
    await expectError(add({ QueueUrl: url, Label: 'a', Actions: Array(8).fill('SendMessage') }), {
      name: 'OverLimit',
      code: 'OverLimit',
      status: 403,
      message: '8 Actions were found, maximum allowed is 7.',
    });
    await expectError(add({ QueueUrl: `${url}-missing`, Label: 'a' }), E.queueDoesNotExist);
    await expectError(
      t.client.send(new RemovePermissionCommand({ QueueUrl: url, Label: 'nope' })),
      E.invalidParameterValue("Value nope for parameter Label is invalid. Reason: can't find label on existing policy."),
    );
    await expectError(t.client.send(new RemovePermissionCommand({ QueueUrl: `${url}-missing`, Label: 'dup' })), E.queueDoesNotExist);
  });

  it('limits a policy to 20 statements (OverLimit)', async () => {
    const url = await createQueue(t, 'perm-many');
    for (let i = 0; i < 20; i++) await add({ QueueUrl: url, Label: `s${i}` });
    await expectError(add({ QueueUrl: url, Label: 's20' }), { name: 'OverLimit', status: 403 });
  });
});

describe('RedriveAllowPolicy', () => {
  const redrive = (arn: string) => JSON.stringify({ deadLetterTargetArn: arn, maxReceiveCount: 3 });

  it('denyAll: no queue may name it as its dead-letter queue', async () => {
    const dlq = await createQueue(t, 'deny-dlq', { RedriveAllowPolicy: JSON.stringify({ redrivePermission: 'denyAll' }) });
    const dlqArn = (await attrs(t, dlq, ['QueueArn']))['QueueArn']!;
    await expectError(
      t.client.send(new CreateQueueCommand({ QueueName: uniq('deny-src'), Attributes: { RedrivePolicy: redrive(dlqArn) } })),
      E.invalidParameterValue(/for parameter RedrivePolicy is invalid\. Reason: .*not allowed/),
    );
    const src = await createQueue(t, 'deny-src2');
    await expectError(
      t.client.send(new SetQueueAttributesCommand({ QueueUrl: src, Attributes: { RedrivePolicy: redrive(dlqArn) } })),
      E.invalidParameterValue(/for parameter RedrivePolicy is invalid/),
    );
  });

  it('byQueue: only the listed source queues', async () => {
    const allowed = await createQueue(t, 'byq-allowed');
    const other = await createQueue(t, 'byq-other');
    const allowedArn = (await attrs(t, allowed, ['QueueArn']))['QueueArn']!;
    const dlq = await createQueue(t, 'byq-dlq', {
      RedriveAllowPolicy: JSON.stringify({ redrivePermission: 'byQueue', sourceQueueArns: [allowedArn] }),
    });
    const dlqArn = (await attrs(t, dlq, ['QueueArn']))['QueueArn']!;
    await t.client.send(new SetQueueAttributesCommand({ QueueUrl: allowed, Attributes: { RedrivePolicy: redrive(dlqArn) } }));
    await expectError(
      t.client.send(new SetQueueAttributesCommand({ QueueUrl: other, Attributes: { RedrivePolicy: redrive(dlqArn) } })),
      E.invalidParameterValue(/for parameter RedrivePolicy is invalid/),
    );
    // allowAll (the default) lets any queue in.
    await t.client.send(new SetQueueAttributesCommand({ QueueUrl: dlq, Attributes: { RedriveAllowPolicy: JSON.stringify({ redrivePermission: 'allowAll' }) } }));
    await t.client.send(new SetQueueAttributesCommand({ QueueUrl: other, Attributes: { RedrivePolicy: redrive(dlqArn) } }));
  });

  it('a FIFO queue needs a FIFO dead-letter queue, and a standard queue a standard one', async () => {
    const std = await createQueue(t, 'type-std');
    const fifo = await createQueue(t, 'type-fifo', { FifoQueue: 'true' });
    const stdArn = (await attrs(t, std, ['QueueArn']))['QueueArn']!;
    const fifoArn = (await attrs(t, fifo, ['QueueArn']))['QueueArn']!;
    await expectError(
      t.client.send(new SetQueueAttributesCommand({ QueueUrl: fifo, Attributes: { RedrivePolicy: redrive(stdArn) } })),
      E.invalidParameterValue(/for parameter RedrivePolicy is invalid/),
    );
    await expectError(
      t.client.send(new SetQueueAttributesCommand({ QueueUrl: std, Attributes: { RedrivePolicy: redrive(fifoArn) } })),
      E.invalidParameterValue(/for parameter RedrivePolicy is invalid/),
    );
  });
});
