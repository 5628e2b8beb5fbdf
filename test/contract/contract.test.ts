// The error contract of docs/contract.md as one table: for each action, each invalid input and
// the error AWS returns. Two runners take the same table: the JSON protocol (raw fetch with
// X-Amz-Target: `__type`, HTTP status, x-amzn-query-error) and the Query protocol (raw form POST:
// `<Code>` with AWS.SimpleQueueService.* legacy codes, `<Type>`, status, `<Message>`).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SHAPES, OPERATIONS } from '../../src/protocol/query-shapes.js';
import { startTestServer, type TestServer } from '../helpers/server.js';

/** The wire identity of each error: JSON shape name → [Query code, HTTP status], per the contract. */
const WIRE: Record<string, [queryCode: string, status: number]> = {
  QueueDoesNotExist: ['AWS.SimpleQueueService.NonExistentQueue', 400],
  QueueNameExists: ['QueueAlreadyExists', 400],
  PurgeQueueInProgress: ['AWS.SimpleQueueService.PurgeQueueInProgress', 403],
  InvalidParameterValueException: ['InvalidParameterValue', 400],
  MissingRequiredParameterException: ['MissingParameter', 400],
  InvalidAttributeName: ['InvalidAttributeName', 400],
  InvalidAttributeValue: ['InvalidAttributeValue', 400],
  InvalidMessageContents: ['InvalidMessageContents', 400],
  EmptyBatchRequest: ['AWS.SimpleQueueService.EmptyBatchRequest', 400],
  TooManyEntriesInBatchRequest: ['AWS.SimpleQueueService.TooManyEntriesInBatchRequest', 400],
  InvalidBatchEntryId: ['AWS.SimpleQueueService.InvalidBatchEntryId', 400],
  BatchEntryIdsNotDistinct: ['AWS.SimpleQueueService.BatchEntryIdsNotDistinct', 400],
  BatchRequestTooLong: ['AWS.SimpleQueueService.BatchRequestTooLong', 400],
  ReceiptHandleIsInvalid: ['ReceiptHandleIsInvalid', 404],
  OverLimit: ['OverLimit', 403],
  ResourceNotFoundException: ['ResourceNotFoundException', 404],
};

type Params = Record<string, unknown>;
type Call = (action: string, params: Params) => Promise<{ status: number; body: string }>;

interface Case {
  action: string;
  /** What is wrong with the input. */
  why: string;
  /** JSON-shaped input; strings may hold the {PLACEHOLDERS} of `fixtures`. */
  params: Params;
  /** The JSON protocol's shape name (the key into WIRE). */
  code: keyof typeof WIRE;
  /** The exact message (JSON protocol; Query gives the same unless `queryMessage`), or a RegExp. */
  message?: string | RegExp;
  queryMessage?: string | RegExp;
  /** Runs before the call, in each protocol (its errors are ignored). */
  setup?: (call: Call) => Promise<unknown>;
}

const NO_QUEUE = 'The specified queue does not exist.';
const NO_QUEUE_QUERY = 'The specified queue does not exist for this wsdl version.';
const BIG = 'x'.repeat(600 * 1024);

const noQueue = (action: string, params: Params = {}): Case => ({
  action,
  why: 'unknown queue',
  params: { QueueUrl: '{MISSING_URL}', ...params },
  code: 'QueueDoesNotExist',
  message: NO_QUEUE,
  queryMessage: NO_QUEUE_QUERY,
});
const ipv = (action: string, why: string, params: Params, message?: string | RegExp): Case => ({
  action,
  why,
  params,
  code: 'InvalidParameterValueException',
  ...(message !== undefined ? { message } : {}),
});
const missing = (action: string, param: string, params: Params): Case => ({
  action,
  why: `no ${param}`,
  params,
  code: 'MissingRequiredParameterException',
  message: `The request must contain the parameter ${param}.`,
});
const entries = (n: number, f: (i: number) => Params) => Array.from({ length: n }, (_, i) => f(i));

const CASES: Case[] = [
  // CreateQueue
  ipv('CreateQueue', 'name with a space', { QueueName: 'bad name' }, 'Can only include alphanumeric characters, hyphens, or underscores. 1 to 80 in length'),
  ipv('CreateQueue', 'name of 81 characters', { QueueName: 'n'.repeat(81) }, 'Can only include alphanumeric characters, hyphens, or underscores. 1 to 80 in length'),
  ipv('CreateQueue', '.fifo name without FifoQueue', { QueueName: 'c-nofifo.fifo' }),
  {
    action: 'CreateQueue',
    why: 'FifoQueue=false on a standard queue',
    params: { QueueName: 'c-fifofalse', Attributes: { FifoQueue: 'false' } },
    code: 'InvalidAttributeName',
    message: 'Unknown Attribute FifoQueue.',
  },
  ipv('CreateQueue', 'FifoQueue without .fifo name', { QueueName: 'c-fifo-attr', Attributes: { FifoQueue: 'true' } }),
  { action: 'CreateQueue', why: 'unknown attribute', params: { QueueName: 'c-a', Attributes: { Foo: '1' } }, code: 'InvalidAttributeName', message: 'Unknown Attribute Foo.' },
  {
    action: 'CreateQueue',
    why: 'VisibilityTimeout over 43200',
    params: { QueueName: 'c-a', Attributes: { VisibilityTimeout: '43201' } },
    code: 'InvalidAttributeValue',
    message: 'Invalid value for the parameter VisibilityTimeout.',
  },
  {
    action: 'CreateQueue',
    why: 'ContentBasedDeduplication on a standard queue',
    params: { QueueName: 'c-a', Attributes: { ContentBasedDeduplication: 'true' } },
    code: 'InvalidAttributeName',
    message: 'Unknown Attribute ContentBasedDeduplication.',
  },
  {
    action: 'CreateQueue',
    why: 'DeduplicationScope on a standard queue',
    params: { QueueName: 'c-a', Attributes: { DeduplicationScope: 'queue' } },
    code: 'InvalidAttributeName',
    message: 'You can specify the DeduplicationScope only when FifoQueue is set to true.',
  },
  {
    action: 'CreateQueue',
    why: 'KMS and SQS-managed SSE together',
    params: { QueueName: 'c-a', Attributes: { KmsMasterKeyId: 'alias/aws/sqs', SqsManagedSseEnabled: 'true' } },
    code: 'InvalidAttributeName',
    message: 'You can use one type of server-side encryption (SSE) at one time. You can either enable KMS SSE or SQS SSE.',
  },
  ipv(
    'CreateQueue',
    'RedrivePolicy with a bad deadLetterTargetArn',
    { QueueName: 'c-a', Attributes: { RedrivePolicy: '{"deadLetterTargetArn":"nope","maxReceiveCount":3}' } },
    'Value {"deadLetterTargetArn":"nope","maxReceiveCount":3} for parameter RedrivePolicy is invalid. Reason: Invalid value for deadLetterTargetArn.',
  ),
  ipv('CreateQueue', 'RedrivePolicy to a denyAll dead-letter queue', { QueueName: 'c-a', Attributes: { RedrivePolicy: '{"deadLetterTargetArn":"{DENY_ARN}","maxReceiveCount":3}' } }, /^Value .* for parameter RedrivePolicy is invalid\. Reason: /),
  ipv('CreateQueue', 'RedrivePolicy from a FIFO queue to a standard one', { QueueName: 'c-a.fifo', Attributes: { FifoQueue: 'true', RedrivePolicy: '{"deadLetterTargetArn":"{DLQ_ARN}","maxReceiveCount":3}' } }, /for parameter RedrivePolicy is invalid/),
  {
    action: 'CreateQueue',
    why: 'existing queue, different attribute',
    params: { QueueName: '{STD_NAME}', Attributes: { VisibilityTimeout: '45' } },
    code: 'QueueNameExists',
    message: 'A queue already exists with the same name and a different value for attribute VisibilityTimeout',
  },
  missing('CreateQueue', 'QueueName', {}),
  // GetQueueUrl, ListQueues, DeleteQueue
  { action: 'GetQueueUrl', why: 'unknown queue', params: { QueueName: 'no-such-queue' }, code: 'QueueDoesNotExist', message: NO_QUEUE, queryMessage: NO_QUEUE_QUERY },
  ipv('ListQueues', 'MaxResults 0', { MaxResults: 0 }, /^Value 0 for parameter MaxResults is invalid\./),
  ipv('ListQueues', 'MaxResults 1001', { MaxResults: 1001 }, /^Value 1001 for parameter MaxResults is invalid\./),
  noQueue('DeleteQueue'),
  { ...noQueue('DeleteQueue'), why: 'empty QueueUrl', params: { QueueUrl: '' } },
  // GetQueueAttributes, SetQueueAttributes
  { action: 'GetQueueAttributes', why: 'unknown attribute', params: { QueueUrl: '{STD_URL}', AttributeNames: ['Foo'] }, code: 'InvalidAttributeName', message: 'Unknown Attribute Foo.' },
  noQueue('GetQueueAttributes', { AttributeNames: ['All'] }),
  missing('SetQueueAttributes', 'Attributes', { QueueUrl: '{STD_URL}' }),
  noQueue('SetQueueAttributes', { Attributes: { DelaySeconds: '1' } }),
  { action: 'SetQueueAttributes', why: 'FifoQueue on a standard queue', params: { QueueUrl: '{STD_URL}', Attributes: { FifoQueue: 'true' } }, code: 'InvalidAttributeName', message: 'Unknown Attribute FifoQueue.' },
  {
    action: 'SetQueueAttributes',
    why: 'FifoQueue=false on a FIFO queue (true is accepted)',
    params: { QueueUrl: '{FIFO_URL}', Attributes: { FifoQueue: 'false' } },
    code: 'InvalidAttributeValue',
    message: 'Invalid value for the parameter FifoQueue. Reason: Modifying queue type is not supported.',
  },
  {
    action: 'SetQueueAttributes',
    why: 'MessageRetentionPeriod under 60',
    params: { QueueUrl: '{STD_URL}', Attributes: { MessageRetentionPeriod: '59' } },
    code: 'InvalidAttributeValue',
    message: 'Invalid value for the parameter MessageRetentionPeriod.',
  },
  ipv(
    'SetQueueAttributes',
    'maxReceiveCount 0',
    { QueueUrl: '{STD_URL}', Attributes: { RedrivePolicy: '{"deadLetterTargetArn":"{DLQ_ARN}","maxReceiveCount":0}' } },
    /Reason: Invalid value for maxReceiveCount: 0, valid values are from 1 to 1000 both inclusive\.$/,
  ),
  ipv('SetQueueAttributes', 'RedrivePolicy to a denyAll dead-letter queue', { QueueUrl: '{STD_URL}', Attributes: { RedrivePolicy: '{"deadLetterTargetArn":"{DENY_ARN}","maxReceiveCount":3}' } }, /for parameter RedrivePolicy is invalid/),
  ipv('SetQueueAttributes', 'RedrivePolicy to a byQueue dead-letter queue that does not list it', { QueueUrl: '{STD_URL}', Attributes: { RedrivePolicy: '{"deadLetterTargetArn":"{BYQ_ARN}","maxReceiveCount":3}' } }, /for parameter RedrivePolicy is invalid/),
  ipv('SetQueueAttributes', 'byQueue RedriveAllowPolicy without ARNs', { QueueUrl: '{STD_URL}', Attributes: { RedriveAllowPolicy: '{"redrivePermission":"byQueue"}' } }, /for parameter RedriveAllowPolicy is invalid/),
  // PurgeQueue
  noQueue('PurgeQueue'),
  {
    action: 'PurgeQueue',
    why: 'second purge within 60 s',
    params: { QueueUrl: '{PURGE_URL}' },
    setup: (call) => call('PurgeQueue', { QueueUrl: '{PURGE_URL}' }),
    code: 'PurgeQueueInProgress',
    message: /^Only one PurgeQueue operation on c-purge-\d+ is allowed every 60 seconds\.$/,
  },
  // SendMessage
  noQueue('SendMessage', { MessageBody: 'x' }),
  missing('SendMessage', 'MessageBody', { QueueUrl: '{STD_URL}' }),
  { ...missing('SendMessage', 'MessageBody', { QueueUrl: '{STD_URL}', MessageBody: '' }), why: 'empty MessageBody' },
  { action: 'SendMessage', why: 'a character outside the XML range', params: { QueueUrl: '{STD_URL}', MessageBody: 'a\u0001b' }, code: 'InvalidMessageContents' },
  ipv('SendMessage', 'DelaySeconds 901', { QueueUrl: '{STD_URL}', MessageBody: 'x', DelaySeconds: 901 }, /^Value 901 for parameter DelaySeconds is invalid\./),
  missing('SendMessage', 'MessageGroupId', { QueueUrl: '{FIFO_URL}', MessageBody: 'x', MessageDeduplicationId: 'd' }),
  ipv(
    'SendMessage',
    'DelaySeconds on a FIFO queue',
    { QueueUrl: '{FIFO_URL}', MessageBody: 'x', MessageGroupId: 'g', MessageDeduplicationId: 'd', DelaySeconds: 5 },
    // With the final period, unlike a batch entry's bare text (docs/contract.md [R]).
    'Value 5 for parameter DelaySeconds is invalid. Reason: The request include parameter that is not valid for this queue type.',
  ),
  ipv(
    'SendMessage',
    'FIFO without deduplication',
    { QueueUrl: '{FIFO_URL}', MessageBody: 'x', MessageGroupId: 'g' },
    'The queue should either have ContentBasedDeduplication enabled or MessageDeduplicationId provided explicitly',
  ),
  ipv(
    'SendMessage',
    'bad MessageDeduplicationId',
    { QueueUrl: '{FIFO_URL}', MessageBody: 'x', MessageGroupId: 'g', MessageDeduplicationId: 'a b' },
    'Value a b for parameter MessageDeduplicationId is invalid. Reason: MessageDeduplicationId can only include alphanumeric and punctuation characters. 1 to 128 in length.',
  ),
  ipv(
    'SendMessage',
    'over MaximumMessageSize',
    { QueueUrl: '{SMALL_URL}', MessageBody: 'x'.repeat(1025) },
    'One or more parameters are invalid. Reason: Message must be shorter than 1024 bytes.',
  ),
  ipv(
    'SendMessage',
    'String attribute without a value',
    { QueueUrl: '{STD_URL}', MessageBody: 'x', MessageAttributes: { a: { DataType: 'String', StringValue: '' } } },
    "Message (user) attribute 'a' must contain a non-empty value of type 'String'.",
  ),
  ipv('SendMessage', '11 message attributes', {
    QueueUrl: '{STD_URL}',
    MessageBody: 'x',
    MessageAttributes: Object.fromEntries(Array.from({ length: 11 }, (_, i) => [`a${i}`, { DataType: 'String', StringValue: 'v' }])),
  }),
  // SendMessageBatch
  { action: 'SendMessageBatch', why: 'no entries', params: { QueueUrl: '{STD_URL}', Entries: [] }, code: 'EmptyBatchRequest' },
  {
    action: 'SendMessageBatch',
    why: '11 entries',
    params: { QueueUrl: '{STD_URL}', Entries: entries(11, (i) => ({ Id: `e${i}`, MessageBody: 'x' })) },
    code: 'TooManyEntriesInBatchRequest',
    message: 'Maximum number of entries per request are 10. You have sent 11.',
  },
  {
    action: 'SendMessageBatch',
    why: 'bad entry Id',
    params: { QueueUrl: '{STD_URL}', Entries: [{ Id: 'a b', MessageBody: 'x' }] },
    code: 'InvalidBatchEntryId',
    message: 'A batch entry id can only contain alphanumeric characters, hyphens and underscores. It can be at most 80 letters long.',
  },
  { action: 'SendMessageBatch', why: 'repeated Id', params: { QueueUrl: '{STD_URL}', Entries: [{ Id: 'a', MessageBody: 'x' }, { Id: 'a', MessageBody: 'y' }] }, code: 'BatchEntryIdsNotDistinct' },
  {
    action: 'SendMessageBatch',
    why: 'payload over 1 MiB',
    params: { QueueUrl: '{STD_URL}', Entries: [{ Id: 'a', MessageBody: BIG }, { Id: 'b', MessageBody: BIG }] },
    code: 'BatchRequestTooLong',
    message: `Batch requests cannot be longer than 1048576 bytes. You have sent ${2 * BIG.length} bytes.`,
  },
  noQueue('SendMessageBatch', { Entries: [{ Id: 'a', MessageBody: 'x' }] }),
  ipv('SendMessageBatch', 'FIFO entry without MessageGroupId', { QueueUrl: '{FIFO_URL}', Entries: [{ Id: 'a', MessageBody: 'x', MessageDeduplicationId: 'd' }] }, 'The request must contain the parameter MessageGroupId.'),
  // ReceiveMessage
  noQueue('ReceiveMessage'),
  ipv('ReceiveMessage', 'MaxNumberOfMessages 11', { QueueUrl: '{STD_URL}', MaxNumberOfMessages: 11 }, 'Value 11 for parameter MaxNumberOfMessages is invalid. Reason: Must be between 1 and 10, if provided.'),
  ipv('ReceiveMessage', 'WaitTimeSeconds 21', { QueueUrl: '{STD_URL}', WaitTimeSeconds: 21 }, 'Value 21 for parameter WaitTimeSeconds is invalid. Reason: Must be >= 0 and <= 20, if provided.'),
  ipv('ReceiveMessage', 'VisibilityTimeout 43201', { QueueUrl: '{STD_URL}', VisibilityTimeout: 43201 }, /^Value 43201 for parameter VisibilityTimeout is invalid\./),
  // DeleteMessage, DeleteMessageBatch
  noQueue('DeleteMessage', { ReceiptHandle: 'x' }),
  missing('DeleteMessage', 'ReceiptHandle', { QueueUrl: '{STD_URL}' }),
  {
    action: 'DeleteMessage',
    why: 'a handle Sluice never issued',
    params: { QueueUrl: '{STD_URL}', ReceiptHandle: 'garbage' },
    code: 'ReceiptHandleIsInvalid',
    message: 'The input receipt handle "garbage" is not a valid receipt handle.',
  },
  { action: 'DeleteMessageBatch', why: 'no entries', params: { QueueUrl: '{STD_URL}', Entries: [] }, code: 'EmptyBatchRequest' },
  {
    action: 'DeleteMessageBatch',
    why: 'repeated Id',
    params: { QueueUrl: '{STD_URL}', Entries: [{ Id: 'a', ReceiptHandle: 'x' }, { Id: 'a', ReceiptHandle: 'y' }] },
    code: 'BatchEntryIdsNotDistinct',
  },
  // ChangeMessageVisibility, ChangeMessageVisibilityBatch
  noQueue('ChangeMessageVisibility', { ReceiptHandle: 'x', VisibilityTimeout: 1 }),
  {
    action: 'ChangeMessageVisibility',
    why: 'a handle Sluice never issued',
    params: { QueueUrl: '{STD_URL}', ReceiptHandle: 'garbage', VisibilityTimeout: 5 },
    code: 'ReceiptHandleIsInvalid',
    message: 'The input receipt handle "garbage" is not a valid receipt handle.',
  },
  ipv('ChangeMessageVisibility', 'VisibilityTimeout 43201', { QueueUrl: '{STD_URL}', ReceiptHandle: 'garbage', VisibilityTimeout: 43201 }, /^Value 43201 for parameter VisibilityTimeout is invalid\./),
  missing('ChangeMessageVisibility', 'ReceiptHandle', { QueueUrl: '{STD_URL}', VisibilityTimeout: 5 }),
  {
    action: 'ChangeMessageVisibilityBatch',
    why: '11 entries',
    params: { QueueUrl: '{STD_URL}', Entries: entries(11, (i) => ({ Id: `e${i}`, ReceiptHandle: 'x', VisibilityTimeout: 1 })) },
    code: 'TooManyEntriesInBatchRequest',
    message: 'Maximum number of entries per request are 10. You have sent 11.',
  },
  { action: 'ChangeMessageVisibilityBatch', why: 'no entries', params: { QueueUrl: '{STD_URL}', Entries: [] }, code: 'EmptyBatchRequest' },
  // Tags
  noQueue('TagQueue', { Tags: { a: 'b' } }),
  { action: 'TagQueue', why: 'no tags', params: { QueueUrl: '{STD_URL}', Tags: {} }, code: 'MissingRequiredParameterException' },
  ipv('TagQueue', 'key of 129 characters', { QueueUrl: '{STD_URL}', Tags: { ['k'.repeat(129)]: 'v' } }),
  noQueue('UntagQueue', { TagKeys: ['a'] }),
  noQueue('ListQueueTags'),
  // ListDeadLetterSourceQueues
  noQueue('ListDeadLetterSourceQueues'),
  ipv('ListDeadLetterSourceQueues', 'MaxResults 0', { QueueUrl: '{DLQ_URL}', MaxResults: 0 }, /^Value 0 for parameter MaxResults is invalid\./),
  // AddPermission, RemovePermission
  noQueue('AddPermission', { Label: 'l', AWSAccountIds: ['111122223333'], Actions: ['SendMessage'] }),
  ipv(
    'AddPermission',
    'label already on the queue',
    { QueueUrl: '{STD_URL}', Label: 'taken', AWSAccountIds: ['111122223333'], Actions: ['SendMessage'] },
    'Value taken for parameter Label is invalid. Reason: Already exists.',
  ),
  ipv('AddPermission', 'label with a space', { QueueUrl: '{STD_URL}', Label: 'a b', AWSAccountIds: ['111122223333'], Actions: ['SendMessage'] }, /^Value a b for parameter Label is invalid\./),
  ipv(
    'AddPermission',
    'no accounts',
    { QueueUrl: '{STD_URL}', Label: 'l', AWSAccountIds: [], Actions: ['SendMessage'] },
    'Value [] for parameter PrincipalId is invalid. Reason: Unable to verify.',
  ),
  missing('AddPermission', 'Actions', { QueueUrl: '{STD_URL}', Label: 'l', AWSAccountIds: ['111122223333'] }),
  missing('AddPermission', 'Label', { QueueUrl: '{STD_URL}', AWSAccountIds: ['111122223333'], Actions: ['SendMessage'] }),
  ipv(
    'AddPermission',
    'an owner-only action',
    { QueueUrl: '{STD_URL}', Label: 'l', AWSAccountIds: ['111122223333'], Actions: ['DeleteQueue'] },
    'Value SQS:DeleteQueue for parameter ActionName is invalid. Reason: Only the queue owner is allowed to invoke this action.',
  ),
  {
    action: 'AddPermission',
    why: '8 actions',
    params: { QueueUrl: '{STD_URL}', Label: 'l', AWSAccountIds: ['111122223333'], Actions: Array(8).fill('SendMessage') },
    code: 'OverLimit',
    message: '8 Actions were found, maximum allowed is 7.',
  },
  noQueue('RemovePermission', { Label: 'taken' }),
  ipv('RemovePermission', 'unknown label', { QueueUrl: '{STD_URL}', Label: 'nope' }, "Value nope for parameter Label is invalid. Reason: can't find label on existing policy."),
  missing('RemovePermission', 'Label', { QueueUrl: '{STD_URL}' }),
  // Message move tasks
  missing('StartMessageMoveTask', 'SourceArn', {}),
  ipv('StartMessageMoveTask', 'SourceArn not an ARN', { SourceArn: 'queue' }, 'You must use this format to specify the SourceArn: arn:<partition>:<service>:<region>:<account-id>:<resource-id>'),
  {
    action: 'StartMessageMoveTask',
    why: 'unknown source queue',
    params: { SourceArn: '{MISSING_ARN}' },
    code: 'ResourceNotFoundException',
    message: "The resource that you specified for the SourceArn parameter doesn't exist.",
  },
  ipv('StartMessageMoveTask', 'source is no dead-letter queue', { SourceArn: '{STD_ARN}' }, 'Source queue must be configured as a Dead Letter Queue.'),
  {
    action: 'StartMessageMoveTask',
    why: 'unknown destination queue',
    params: { SourceArn: '{DLQ_ARN}', DestinationArn: '{MISSING_ARN}' },
    code: 'ResourceNotFoundException',
    message: "The resource that you specified for the DestinationArn parameter doesn't exist.",
  },
  ipv('StartMessageMoveTask', 'rate 0', { SourceArn: '{DLQ_ARN}', MaxNumberOfMessagesPerSecond: 0 }, /^Value 0 for parameter MaxNumberOfMessagesPerSecond is invalid\./),
  ipv('StartMessageMoveTask', 'rate 501', { SourceArn: '{DLQ_ARN}', MaxNumberOfMessagesPerSecond: 501 }, /^Value 501 for parameter MaxNumberOfMessagesPerSecond is invalid\./),
  ipv(
    'StartMessageMoveTask',
    'a task already running on the source',
    { SourceArn: '{BUSY_ARN}' },
    'There is already a task running. Only one active task is allowed for a source queue arn at a given time.',
  ),
  ipv('CancelMessageMoveTask', 'undecodable handle', { TaskHandle: 'not a handle' }, 'Value for parameter TaskHandle is invalid.'),
  missing('CancelMessageMoveTask', 'TaskHandle', {}),
  { action: 'CancelMessageMoveTask', why: 'no such task', params: { TaskHandle: '{UNKNOWN_TASK}' }, code: 'ResourceNotFoundException', message: 'Task does not exist.' },
  {
    action: 'CancelMessageMoveTask',
    why: 'source queue gone',
    params: { TaskHandle: '{GONE_TASK}' },
    code: 'ResourceNotFoundException',
    message: "The resource that you specified for the SourceArn parameter doesn't exist.",
  },
  { action: 'ListMessageMoveTasks', why: 'unknown source queue', params: { SourceArn: '{MISSING_ARN}' }, code: 'ResourceNotFoundException' },
  ipv('ListMessageMoveTasks', 'MaxResults 11', { SourceArn: '{DLQ_ARN}', MaxResults: 11 }, /^Value 11 for parameter MaxResults is invalid\./),
  ipv('ListMessageMoveTasks', 'MaxResults 0', { SourceArn: '{DLQ_ARN}', MaxResults: 0 }, /^Value 0 for parameter MaxResults is invalid\./),
];

// ---------------------------------------------------------------------------------------------
// Query encoding of JSON-shaped input, from the same botocore shapes the server decodes with.

function flatten(shapeName: string, v: unknown, prefix: string, out: [string, string][]): void {
  const s = SHAPES[shapeName]!;
  switch (s.t) {
    case 'structure':
      for (const [member, wire, shape] of s.m) {
        const x = (v as Params)[member];
        if (x !== undefined) flatten(shape, x, prefix ? `${prefix}.${wire}` : wire, out);
      }
      return;
    case 'list': {
      const items = v as unknown[];
      if (items.length === 0) return void out.push([prefix, '']);
      const base = s.flat ? prefix : `${prefix}.${s.itemName}`;
      items.forEach((item, i) => flatten(s.item, item, `${base}.${i + 1}`, out));
      return;
    }
    case 'map': {
      const e = Object.entries(v as Params);
      if (e.length === 0) return void out.push([prefix, '']);
      const base = s.flat ? prefix : `${prefix}.entry`;
      e.forEach(([k, x], i) => {
        out.push([`${base}.${i + 1}.${s.keyName}`, k]);
        flatten(s.value, x, `${base}.${i + 1}.${s.valueName}`, out);
      });
      return;
    }
    default:
      out.push([prefix, String(v)]);
  }
}

function queryForm(action: string, params: Params): URLSearchParams {
  const out: [string, string][] = [['Action', action], ['Version', '2012-11-05']];
  const input = OPERATIONS[action]!.input;
  if (input) flatten(input, params, '', out);
  return new URLSearchParams(out);
}

// ---------------------------------------------------------------------------------------------

let t: TestServer;
const fixtures: Record<string, string> = {};

function fill<T>(v: T): T {
  if (typeof v === 'string') return v.replace(/\{([A-Z_]+)\}/g, (m, k: string) => fixtures[k] ?? m) as T;
  if (Array.isArray(v)) return v.map(fill) as T;
  if (typeof v === 'object' && v !== null) return Object.fromEntries(Object.entries(v).map(([k, x]) => [fill(k), fill(x)])) as T;
  return v;
}

const callJson: Call = async (action, params) => {
  const r = await fetch(t.endpoint, {
    method: 'POST',
    headers: { 'content-type': 'application/x-amz-json-1.0', 'x-amz-target': `AmazonSQS.${action}` },
    body: JSON.stringify(fill(params)),
  });
  return { status: r.status, body: await r.text() };
};

async function ok(action: string, params: Params): Promise<Record<string, any>> {
  const r = await callJson(action, params);
  if (r.status !== 200) throw new Error(`${action}: ${r.status} ${r.body}`);
  return JSON.parse(r.body || '{}') as Record<string, any>;
}

beforeAll(async () => {
  t = await startTestServer();
  const acct = '000000000000';
  const arn = (name: string) => `arn:aws:sqs:us-east-1:${acct}:${name}`;
  const create = async (key: string, name: string, Attributes: Record<string, string> = {}) => {
    fixtures[`${key}_URL`] = (await ok('CreateQueue', { QueueName: name, Attributes })).QueueUrl;
    fixtures[`${key}_ARN`] = arn(name);
    fixtures[`${key}_NAME`] = name;
  };
  const id = process.pid;
  await create('STD', `c-std-${id}`);
  await create('FIFO', `c-fifo-${id}.fifo`, { FifoQueue: 'true' });
  await create('SMALL', `c-small-${id}`, { MaximumMessageSize: '1024' });
  await create('PURGE', `c-purge-${id}`);
  await create('DLQ', `c-dlq-${id}`);
  await create('SRC', `c-src-${id}`, { RedrivePolicy: JSON.stringify({ deadLetterTargetArn: fixtures['DLQ_ARN'], maxReceiveCount: 3 }) });
  await create('DENY', `c-deny-${id}`, { RedriveAllowPolicy: '{"redrivePermission":"denyAll"}' });
  await create('BYQ', `c-byq-${id}`, { RedriveAllowPolicy: JSON.stringify({ redrivePermission: 'byQueue', sourceQueueArns: [fixtures['SRC_ARN']] }) });
  // A dead-letter queue with a slow task running on it.
  await create('BUSY', `c-busy-${id}`);
  await create('BUSYSRC', `c-busysrc-${id}`, { RedrivePolicy: JSON.stringify({ deadLetterTargetArn: fixtures['BUSY_ARN'], maxReceiveCount: 3 }) });
  await ok('SendMessageBatch', { QueueUrl: fixtures['BUSY_URL'], Entries: entries(10, (i) => ({ Id: `m${i}`, MessageBody: 'x' })) });
  await ok('StartMessageMoveTask', { SourceArn: fixtures['BUSY_ARN'], DestinationArn: fixtures['STD_ARN'], MaxNumberOfMessagesPerSecond: 1 });
  await ok('AddPermission', { QueueUrl: fixtures['STD_URL'], Label: 'taken', AWSAccountIds: ['111122223333'], Actions: ['SendMessage'] });
  fixtures['MISSING_URL'] = `${fixtures['STD_URL']}-missing`;
  fixtures['MISSING_ARN'] = arn(`c-missing-${id}`);
  const handle = (sourceArn: string) => Buffer.from(JSON.stringify({ taskId: 'no-such-task', sourceArn })).toString('base64');
  fixtures['UNKNOWN_TASK'] = handle(fixtures['DLQ_ARN']!);
  fixtures['GONE_TASK'] = handle(fixtures['MISSING_ARN']);
});
afterAll(async () => t?.close());

function checkMessage(got: string, want: string | RegExp | undefined): void {
  if (typeof want === 'string') expect(got).toBe(want);
  else if (want) expect(got).toMatch(want);
}

describe('error contract, JSON protocol', () => {
  it.each(CASES.map((c) => [`${c.action}: ${c.why}`, c] as const))('%s', async (_, c) => {
    await c.setup?.(callJson);
    const r = await fetch(t.endpoint, {
      method: 'POST',
      headers: { 'content-type': 'application/x-amz-json-1.0', 'x-amz-target': `AmazonSQS.${c.action}` },
      body: JSON.stringify(fill(c.params)),
    });
    const text = await r.text();
    const [queryCode, status] = WIRE[c.code]!;
    expect({ status: r.status, body: text }).toMatchObject({ status });
    const body = JSON.parse(text) as { __type: string; message: string };
    expect(body.__type).toBe(`com.amazonaws.sqs#${c.code}`);
    expect(r.headers.get('x-amzn-query-error')).toBe(`${queryCode};Sender`);
    checkMessage(body.message, c.message);
  });
});

describe('error contract, Query protocol', () => {
  it.each(CASES.map((c) => [`${c.action}: ${c.why}`, c] as const))('%s', async (_, c) => {
    await c.setup?.(callJson);
    const r = await fetch(t.endpoint, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: queryForm(c.action, fill(c.params)).toString(),
    });
    const xml = await r.text();
    const [queryCode, status] = WIRE[c.code]!;
    expect({ status: r.status, xml }).toMatchObject({ status });
    const tag = (name: string) => {
      const m = new RegExp(`<${name}>([\\s\\S]*?)</${name}>`).exec(xml);
      return m?.[1]?.replace(/&quot;/g, '"').replace(/&apos;/g, "'").replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');
    };
    expect(xml).toMatch(/^<\?xml version="1\.0"\?><ErrorResponse xmlns="http:\/\/queue\.amazonaws\.com\/doc\/2012-11-05\/">/);
    expect(tag('Code')).toBe(queryCode);
    expect(tag('Type')).toBe('Sender');
    checkMessage(tag('Message') ?? '', c.queryMessage ?? c.message);
  });
});
