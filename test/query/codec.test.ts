// decodeQuery / encodeQuery as pure functions: the flat-parameter forms botocore's query
// serializer produces, and the XML shapes its parser reads.
import { describe, expect, it } from 'vitest';
import { ACTIONS } from '../../src/actions/index.js';
import { SqsError, queryError } from '../../src/protocol/errors.js';
import { decodeQuery, encodeQuery } from '../../src/protocol/query.js';
import { OPERATIONS, SHAPES } from '../../src/protocol/query-shapes.js';

const decode = (p: Record<string, string> | [string, string][]) => decodeQuery(new URLSearchParams(p));
const inner = (xml: string) => /<ResponseMetadata>/.test(xml) && xml.replace(/^.*?Response xmlns="[^"]+">/, '').replace(/<ResponseMetadata>.*$/, '');

describe('the generated shapes', () => {
  it('cover every action Sluice serves, and all 23 SQS operations', () => {
    expect(Object.keys(OPERATIONS)).toHaveLength(23);
    for (const name of ACTIONS.keys()) expect(OPERATIONS[name], name).toBeDefined();
  });
  it('reference only shapes they define', () => {
    const refs = (s: (typeof SHAPES)[string]): string[] =>
      s.t === 'structure' ? s.m.map((m) => m[2]) : s.t === 'list' ? [s.item] : s.t === 'map' ? [s.key, s.value] : [];
    for (const [name, s] of Object.entries(SHAPES)) for (const r of refs(s)) expect(SHAPES[r], `${name} → ${r}`).toBeDefined();
    for (const op of Object.values(OPERATIONS)) {
      if (op.input) expect(SHAPES[op.input]).toBeDefined();
      if (op.output) expect(SHAPES[op.output]).toBeDefined();
    }
  });
});

describe('decodeQuery', () => {
  it('CreateQueue: Attribute.N and Tag.N maps', () => {
    expect(
      decode({
        Action: 'CreateQueue',
        Version: '2012-11-05',
        QueueName: 'q',
        'Attribute.1.Name': 'DelaySeconds',
        'Attribute.1.Value': '5',
        'Attribute.2.Name': 'Policy',
        'Attribute.2.Value': '{"a":1}',
        'Tag.1.Key': 'team',
        'Tag.1.Value': 'x',
        AWSAccessKeyId: 'ignored',
      }),
    ).toEqual({
      action: 'CreateQueue',
      input: { QueueName: 'q', Attributes: { DelaySeconds: '5', Policy: '{"a":1}' }, tags: { team: 'x' } },
    });
  });

  it('SendMessage: MessageAttribute.N with String and Binary values, MessageSystemAttribute.N, integers', () => {
    const { input } = decode({
      Action: 'SendMessage',
      QueueUrl: 'http://h/000000000000/q',
      MessageBody: 'b',
      DelaySeconds: '3',
      'MessageAttribute.1.Name': 's',
      'MessageAttribute.1.Value.DataType': 'String',
      'MessageAttribute.1.Value.StringValue': 'v',
      'MessageAttribute.2.Name': 'b',
      'MessageAttribute.2.Value.DataType': 'Binary',
      'MessageAttribute.2.Value.BinaryValue': 'AAEC',
      'MessageSystemAttribute.1.Name': 'AWSTraceHeader',
      'MessageSystemAttribute.1.Value.DataType': 'String',
      'MessageSystemAttribute.1.Value.StringValue': 'Root=1-abc',
    });
    expect(input).toEqual({
      QueueUrl: 'http://h/000000000000/q',
      MessageBody: 'b',
      DelaySeconds: 3,
      MessageAttributes: { s: { DataType: 'String', StringValue: 'v' }, b: { DataType: 'Binary', BinaryValue: 'AAEC' } },
      MessageSystemAttributes: { AWSTraceHeader: { DataType: 'String', StringValue: 'Root=1-abc' } },
    });
  });

  it('ReceiveMessage: AttributeName.N, MessageAttributeName.N, MessageSystemAttributeName.N lists', () => {
    const { input } = decode({
      Action: 'ReceiveMessage',
      'AttributeName.2': 'SentTimestamp',
      'AttributeName.1': 'SenderId',
      'MessageAttributeName.1': 'All',
      'MessageSystemAttributeName.1': 'ApproximateReceiveCount',
      MaxNumberOfMessages: '10',
      WaitTimeSeconds: '0',
    });
    expect(input).toEqual({
      AttributeNames: ['SenderId', 'SentTimestamp'],
      MessageAttributeNames: ['All'],
      MessageSystemAttributeNames: ['ApproximateReceiveCount'],
      MaxNumberOfMessages: 10,
      WaitTimeSeconds: 0,
    });
  });

  it('batch entries: SendMessageBatchRequestEntry.N.* with nested attributes, in index order', () => {
    const { input } = decode([
      ['Action', 'SendMessageBatch'],
      ['SendMessageBatchRequestEntry.10.Id', 'ten'],
      ['SendMessageBatchRequestEntry.10.MessageBody', 'X'],
      ['SendMessageBatchRequestEntry.2.Id', 'two'],
      ['SendMessageBatchRequestEntry.2.MessageBody', 'B'],
      ['SendMessageBatchRequestEntry.2.MessageAttribute.1.Name', 'a'],
      ['SendMessageBatchRequestEntry.2.MessageAttribute.1.Value.DataType', 'Number'],
      ['SendMessageBatchRequestEntry.2.MessageAttribute.1.Value.StringValue', '1'],
      ['SendMessageBatchRequestEntry.2.MessageGroupId', 'g'],
    ]);
    expect(input).toEqual({
      Entries: [
        { Id: 'two', MessageBody: 'B', MessageGroupId: 'g', MessageAttributes: { a: { DataType: 'Number', StringValue: '1' } } },
        { Id: 'ten', MessageBody: 'X' },
      ],
    });
    expect(
      decode({
        Action: 'DeleteMessageBatch',
        'DeleteMessageBatchRequestEntry.1.Id': 'a',
        'DeleteMessageBatchRequestEntry.1.ReceiptHandle': 'h',
      }).input,
    ).toEqual({ Entries: [{ Id: 'a', ReceiptHandle: 'h' }] });
    expect(
      decode({
        Action: 'ChangeMessageVisibilityBatch',
        'ChangeMessageVisibilityBatchRequestEntry.1.Id': 'a',
        'ChangeMessageVisibilityBatchRequestEntry.1.ReceiptHandle': 'h',
        'ChangeMessageVisibilityBatchRequestEntry.1.VisibilityTimeout': '60',
      }).input,
    ).toEqual({ Entries: [{ Id: 'a', ReceiptHandle: 'h', VisibilityTimeout: 60 }] });
  });

  it('tags: Tag.N.Key/Value and TagKey.N', () => {
    expect(decode({ Action: 'TagQueue', 'Tag.1.Key': 'a', 'Tag.1.Value': '', 'Tag.2.Key': 'b', 'Tag.2.Value': 'B' }).input).toEqual({
      Tags: { a: '', b: 'B' },
    });
    expect(decode({ Action: 'UntagQueue', 'TagKey.1': 'a', 'TagKey.2': 'b' }).input).toEqual({ TagKeys: ['a', 'b'] });
  });

  it('an empty list as botocore sends it, a map entry without a value, bad numbers left to the handler', () => {
    expect(decode({ Action: 'SendMessageBatch', SendMessageBatchRequestEntry: '' }).input).toEqual({ Entries: [] });
    expect(decode({ Action: 'SetQueueAttributes', 'Attribute.1.Name': 'DelaySeconds' }).input).toEqual({ Attributes: { DelaySeconds: null } });
    expect(decode({ Action: 'ReceiveMessage', MaxNumberOfMessages: 'ten', VisibilityTimeout: '99999999999999999999' }).input).toEqual({
      MaxNumberOfMessages: 'ten',
      VisibilityTimeout: '99999999999999999999',
    });
  });

  it('the first of a repeated parameter wins; unknown parameters are ignored', () => {
    expect(decode([['Action', 'GetQueueUrl'], ['QueueName', 'one'], ['QueueName', 'two'], ['Bogus.1.Thing', 'x']]).input).toEqual({ QueueName: 'one' });
  });

  it('no Action, an unknown Action, an Action Sluice does not serve', () => {
    const err = (p: Record<string, string>) => {
      try {
        decode(p);
      } catch (e) {
        return e as SqsError;
      }
      throw new Error('no error');
    };
    expect(err({})).toMatchObject({ code: 'MissingAction' });
    expect(err({ Action: 'Nope' })).toMatchObject({ code: 'InvalidAction', message: 'The action Nope is not valid for this endpoint.' });
    expect(err({ Action: 'toString' })).toMatchObject({ code: 'InvalidAction' });
    expect(decode({ Action: 'RemovePermission', Label: 'l' })).toEqual({ action: 'RemovePermission', input: { Label: 'l' } });
  });
});

describe('encodeQuery', () => {
  it('wraps results and metadata in AWS element names', () => {
    expect(encodeQuery('GetQueueUrl', { QueueUrl: 'http://h/1/q' }, 'rid')).toBe(
      '<?xml version="1.0"?><GetQueueUrlResponse xmlns="http://queue.amazonaws.com/doc/2012-11-05/">' +
        '<GetQueueUrlResult><QueueUrl>http://h/1/q</QueueUrl></GetQueueUrlResult>' +
        '<ResponseMetadata><RequestId>rid</RequestId></ResponseMetadata></GetQueueUrlResponse>',
    );
    expect(encodeQuery('DeleteQueue', {}, 'rid')).toBe(
      '<?xml version="1.0"?><DeleteQueueResponse xmlns="http://queue.amazonaws.com/doc/2012-11-05/">' +
        '<ResponseMetadata><RequestId>rid</RequestId></ResponseMetadata></DeleteQueueResponse>',
    );
    expect(inner(encodeQuery('ListQueues', {}, 'r'))).toBe('<ListQueuesResult/>');
  });

  it('flattened lists, maps, booleans, blobs as bytes, and members outside the shape dropped', () => {
    expect(inner(encodeQuery('ListDeadLetterSourceQueues', { queueUrls: ['a', 'b'], NextToken: 't', extra: 1 }, 'r'))).toBe(
      '<ListDeadLetterSourceQueuesResult><QueueUrl>a</QueueUrl><QueueUrl>b</QueueUrl><NextToken>t</NextToken></ListDeadLetterSourceQueuesResult>',
    );
    expect(
      inner(
        encodeQuery(
          'DeleteMessageBatch',
          { Successful: [], Failed: [{ Id: 'x', SenderFault: false, Code: 'InternalError', Message: 'a<b' }] },
          'r',
        ),
      ),
    ).toBe(
      '<DeleteMessageBatchResult><BatchResultErrorEntry><Id>x</Id><SenderFault>false</SenderFault>' +
        '<Code>InternalError</Code><Message>a&lt;b</Message></BatchResultErrorEntry></DeleteMessageBatchResult>',
    );
    expect(
      inner(
        encodeQuery(
          'ReceiveMessage',
          { Messages: [{ MessageId: 'm', Body: 'x\r', MessageAttributes: { b: { DataType: 'Binary', BinaryValue: Uint8Array.of(255) } } }] },
          'r',
        ),
      ),
    ).toBe(
      '<ReceiveMessageResult><Message><MessageId>m</MessageId><Body>x&#xD;</Body>' +
        '<MessageAttribute><Name>b</Name><Value><BinaryValue>/w==</BinaryValue><DataType>Binary</DataType></Value></MessageAttribute>' +
        '</Message></ReceiveMessageResult>',
    );
    expect(inner(encodeQuery('ListMessageMoveTasks', { Results: [{ TaskHandle: 'h', ApproximateNumberOfMessagesMoved: 0, StartedTimestamp: 17 }] }, 'r'))).toBe(
      '<ListMessageMoveTasksResult><ListMessageMoveTasksResultEntry><TaskHandle>h</TaskHandle>' +
        '<ApproximateNumberOfMessagesMoved>0</ApproximateNumberOfMessagesMoved><StartedTimestamp>17</StartedTimestamp>' +
        '</ListMessageMoveTasksResultEntry></ListMessageMoveTasksResult>',
    );
  });
});

describe('queryError', () => {
  it('uses the Query wording for NonExistentQueue and the catalogue message otherwise', () => {
    const q = queryError(new SqsError('QueueDoesNotExist', 'The specified queue does not exist.'), 'rid');
    expect(q.status).toBe(400);
    expect(q.body).toBe(
      '<?xml version="1.0"?><ErrorResponse xmlns="http://queue.amazonaws.com/doc/2012-11-05/"><Error><Type>Sender</Type>' +
        '<Code>AWS.SimpleQueueService.NonExistentQueue</Code><Message>The specified queue does not exist for this wsdl version.</Message>' +
        '<Detail/></Error><RequestId>rid</RequestId></ErrorResponse>',
    );
    const other = queryError(new SqsError('InvalidAttributeName', 'Unknown Attribute <x>.'), 'rid');
    expect(other.body).toContain('<Code>InvalidAttributeName</Code><Message>Unknown Attribute &lt;x&gt;.</Message>');
  });
});
