// The Query protocol over plain HTTP: form bodies (and GET query strings) in, AWS's exact XML out.
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../helpers/server.js';

const NS = 'http://queue.amazonaws.com/doc/2012-11-05/';
const RID = '[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}';

interface Reply {
  status: number;
  type: string | null;
  requestId: string | null;
  xml: string;
}

/** `xml` with the RequestId replaced by RID, after checking it matches the header. */
function normalize(r: Reply): string {
  const m = /<RequestId>([^<]*)<\/RequestId>/.exec(r.xml);
  expect(m?.[1]).toMatch(new RegExp(`^${RID}$`));
  expect(r.requestId).toBe(m?.[1]);
  return r.xml.replace(m![1]!, 'RID');
}

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

describe('Query protocol: raw HTTP and exact XML', () => {
  let t: TestServer;
  let base: string;
  const ok = (action: string, result: string | null) =>
    `<?xml version="1.0"?><${action}Response xmlns="${NS}">${result ?? ''}` +
    `<ResponseMetadata><RequestId>RID</RequestId></ResponseMetadata></${action}Response>`;
  const error = (type: string, code: string, message: string) =>
    `<?xml version="1.0"?><ErrorResponse xmlns="${NS}"><Error><Type>${type}</Type><Code>${code}</Code>` +
    `<Message>${message}</Message><Detail/></Error><RequestId>RID</RequestId></ErrorResponse>`;

  async function post(params: Record<string, string> | [string, string][], path = '/'): Promise<Reply> {
    const r = await fetch(`${t.endpoint}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams(params).toString(),
    });
    return { status: r.status, type: r.headers.get('content-type'), requestId: r.headers.get('x-amzn-requestid'), xml: await r.text() };
  }
  async function get(params: Record<string, string>, path = '/'): Promise<Reply> {
    const r = await fetch(`${t.endpoint}${path}?${new URLSearchParams(params)}`);
    return { status: r.status, type: r.headers.get('content-type'), requestId: r.headers.get('x-amzn-requestid'), xml: await r.text() };
  }

  beforeAll(async () => {
    t = await startTestServer();
    base = `${t.endpoint}/000000000000`;
  });
  afterAll(async () => t.close());

  it('CreateQueue: POST to /, exact XML', async () => {
    const r = await post({ Action: 'CreateQueue', QueueName: 'raw-a', 'Attribute.1.Name': 'DelaySeconds', 'Attribute.1.Value': '2', Version: '2012-11-05' });
    expect(r.status).toBe(200);
    expect(r.type).toBe('text/xml');
    expect(normalize(r)).toBe(ok('CreateQueue', `<CreateQueueResult><QueueUrl>${base}/raw-a</QueueUrl></CreateQueueResult>`));
    const attrs = await post({ Action: 'GetQueueAttributes', QueueUrl: `${base}/raw-a`, 'AttributeName.1': 'DelaySeconds' });
    expect(normalize(attrs)).toBe(
      ok('GetQueueAttributes', '<GetQueueAttributesResult><Attribute><Name>DelaySeconds</Name><Value>2</Value></Attribute></GetQueueAttributesResult>'),
    );
  });

  it('GET with query parameters, and no Version', async () => {
    await post({ Action: 'CreateQueue', QueueName: 'raw-get' });
    const r = await get({ Action: 'GetQueueUrl', QueueName: 'raw-get' });
    expect(r.status).toBe(200);
    expect(normalize(r)).toBe(ok('GetQueueUrl', `<GetQueueUrlResult><QueueUrl>${base}/raw-get</QueueUrl></GetQueueUrlResult>`));
    const send = await get({ Action: 'SendMessage', MessageBody: 'via GET', Version: '2012-11-05' }, '/000000000000/raw-get');
    expect(send.status).toBe(200);
    expect(send.xml).toContain(`<MD5OfMessageBody>${createHash('md5').update('via GET').digest('hex')}</MD5OfMessageBody>`);
  });

  it('SendMessage to the queue path; ReceiveMessage with attributes, exact XML and escaping', async () => {
    await post({ Action: 'CreateQueue', QueueName: 'raw-msg' });
    const body = `a\r\nb & <c> "d" 'e' \t ✓`;
    const send = await post(
      {
        Action: 'SendMessage',
        MessageBody: body,
        'MessageAttribute.1.Name': 'str',
        'MessageAttribute.1.Value.DataType': 'String',
        'MessageAttribute.1.Value.StringValue': 'x<y>&z',
        'MessageAttribute.2.Name': 'bin',
        'MessageAttribute.2.Value.DataType': 'Binary',
        'MessageAttribute.2.Value.BinaryValue': Buffer.from([0, 1, 2, 250]).toString('base64'),
      },
      '/000000000000/raw-msg',
    );
    expect(send.status).toBe(200);
    const md5Body = createHash('md5').update(body).digest('hex');
    const sent = normalize(send);
    const id = /<MessageId>([^<]+)<\/MessageId>/.exec(sent)![1]!;
    const md5Attrs = /<MD5OfMessageAttributes>([0-9a-f]{32})<\/MD5OfMessageAttributes>/.exec(sent)![1]!;
    expect(sent).toBe(
      ok(
        'SendMessage',
        `<SendMessageResult><MD5OfMessageBody>${md5Body}</MD5OfMessageBody><MD5OfMessageAttributes>${md5Attrs}</MD5OfMessageAttributes>` +
          `<MessageId>${id}</MessageId></SendMessageResult>`,
      ),
    );
    const recv = await post({
      Action: 'ReceiveMessage',
      QueueUrl: `${base}/raw-msg`,
      'AttributeName.1': 'ApproximateReceiveCount',
      'MessageAttributeName.1': 'All',
    });
    const xml = normalize(recv);
    const handle = /<ReceiptHandle>([^<]+)<\/ReceiptHandle>/.exec(xml)![1]!;
    expect(xml).toBe(
      ok(
        'ReceiveMessage',
        `<ReceiveMessageResult><Message><MessageId>${id}</MessageId><ReceiptHandle>${handle}</ReceiptHandle>` +
          `<MD5OfBody>${md5Body}</MD5OfBody><Body>a&#xD;\nb &amp; &lt;c&gt; &quot;d&quot; &apos;e&apos; \t ✓</Body>` +
          `<Attribute><Name>ApproximateReceiveCount</Name><Value>1</Value></Attribute>` +
          `<MD5OfMessageAttributes>${md5Attrs}</MD5OfMessageAttributes>` +
          `<MessageAttribute><Name>bin</Name><Value><BinaryValue>AAEC+g==</BinaryValue><DataType>Binary</DataType></Value></MessageAttribute>` +
          `<MessageAttribute><Name>str</Name><Value><StringValue>x&lt;y&gt;&amp;z</StringValue><DataType>String</DataType></Value></MessageAttribute>` +
          `</Message></ReceiveMessageResult>`,
      ),
    );
  });

  it('ReceiveMessage with MessageSystemAttributeName.N (newer than the Query-era model)', async () => {
    await post({ Action: 'CreateQueue', QueueName: 'raw-sys' });
    await post({ Action: 'SendMessage', MessageBody: 'hi' }, '/000000000000/raw-sys');
    const r = await post({ Action: 'ReceiveMessage', 'MessageSystemAttributeName.1': 'SenderId' }, '/000000000000/raw-sys');
    expect(r.xml).toContain('<Attribute><Name>SenderId</Name><Value>000000000000</Value></Attribute>');
    expect(r.xml).not.toContain('SentTimestamp');
  });

  it('ReceiveMessage with nothing: an empty result element', async () => {
    await post({ Action: 'CreateQueue', QueueName: 'raw-empty' });
    const r = await post({ Action: 'ReceiveMessage' }, '/000000000000/raw-empty');
    expect(normalize(r)).toBe(ok('ReceiveMessage', '<ReceiveMessageResult/>'));
  });

  it('ListQueues: repeated QueueUrl elements and NextToken', async () => {
    for (const n of ['rl-1', 'rl-2', 'rl-3']) await post({ Action: 'CreateQueue', QueueName: n });
    const r = await post({ Action: 'ListQueues', QueueNamePrefix: 'rl-' });
    expect(normalize(r)).toBe(
      ok('ListQueues', `<ListQueuesResult><QueueUrl>${base}/rl-1</QueueUrl><QueueUrl>${base}/rl-2</QueueUrl><QueueUrl>${base}/rl-3</QueueUrl></ListQueuesResult>`),
    );
    const page = normalize(await post({ Action: 'ListQueues', QueueNamePrefix: 'rl-', MaxResults: '1' }));
    expect(page).toMatch(new RegExp(`<ListQueuesResult><QueueUrl>${base}/rl-1</QueueUrl><NextToken>[^<]+</NextToken></ListQueuesResult>`));
  });

  it('actions without a result: only ResponseMetadata', async () => {
    await post({ Action: 'CreateQueue', QueueName: 'raw-del' });
    const tag = await post({ Action: 'TagQueue', 'Tag.1.Key': 'k', 'Tag.1.Value': 'v & w' }, '/000000000000/raw-del');
    expect(normalize(tag)).toBe(ok('TagQueue', null));
    const tags = await post({ Action: 'ListQueueTags' }, '/000000000000/raw-del');
    expect(normalize(tags)).toBe(ok('ListQueueTags', '<ListQueueTagsResult><Tag><Key>k</Key><Value>v &amp; w</Value></Tag></ListQueueTagsResult>'));
    const untag = await post({ Action: 'UntagQueue', 'TagKey.1': 'k' }, '/000000000000/raw-del');
    expect(normalize(untag)).toBe(ok('UntagQueue', null));
    const set = await post({ Action: 'SetQueueAttributes', 'Attribute.1.Name': 'VisibilityTimeout', 'Attribute.1.Value': '10' }, '/000000000000/raw-del');
    expect(normalize(set)).toBe(ok('SetQueueAttributes', null));
    const purge = await post({ Action: 'PurgeQueue' }, '/000000000000/raw-del');
    expect(normalize(purge)).toBe(ok('PurgeQueue', null));
    const del = await post({ Action: 'DeleteQueue', QueueUrl: `${base}/raw-del` });
    expect(del.status).toBe(200);
    expect(normalize(del)).toBe(ok('DeleteQueue', null));
  });

  it('SendMessageBatch: entries, successes and a failure in AWS element names', async () => {
    await post({ Action: 'CreateQueue', QueueName: 'raw-batch' });
    const r = await post(
      [
        ['Action', 'SendMessageBatch'],
        ['SendMessageBatchRequestEntry.1.Id', 'one'],
        ['SendMessageBatchRequestEntry.1.MessageBody', 'first'],
        ['SendMessageBatchRequestEntry.2.Id', 'two'],
        ['SendMessageBatchRequestEntry.2.MessageBody', 'second'],
        ['SendMessageBatchRequestEntry.2.DelaySeconds', '1000'],
      ],
      '/000000000000/raw-batch',
    );
    const xml = normalize(r);
    const id = /<MessageId>([^<]+)<\/MessageId>/.exec(xml)![1]!;
    expect(xml).toBe(
      ok(
        'SendMessageBatch',
        `<SendMessageBatchResult><SendMessageBatchResultEntry><Id>one</Id><MessageId>${id}</MessageId>` +
          `<MD5OfMessageBody>${createHash('md5').update('first').digest('hex')}</MD5OfMessageBody></SendMessageBatchResultEntry>` +
          `<BatchResultErrorEntry><Id>two</Id><SenderFault>true</SenderFault><Code>InvalidParameterValue</Code>` +
          `<Message>${esc('Value 1000 for parameter DelaySeconds is invalid. Reason: DelaySeconds must be >= 0 and <= 900.')}</Message>` +
          `</BatchResultErrorEntry></SendMessageBatchResult>`,
      ),
    );
    // Entries out of order and with a gap still decode, in index order.
    const r2 = await post(
      [
        ['Action', 'SendMessageBatch'],
        ['SendMessageBatchRequestEntry.3.Id', 'c'],
        ['SendMessageBatchRequestEntry.3.MessageBody', 'C'],
        ['SendMessageBatchRequestEntry.1.Id', 'a'],
        ['SendMessageBatchRequestEntry.1.MessageBody', 'A'],
      ],
      '/000000000000/raw-batch',
    );
    expect([...r2.xml.matchAll(/<Id>([^<]+)<\/Id>/g)].map((m) => m[1])).toEqual(['a', 'c']);
    const empty = await post({ Action: 'SendMessageBatch' }, '/000000000000/raw-batch');
    expect(empty.status).toBe(400);
    expect(normalize(empty)).toBe(
      error('Sender', 'AWS.SimpleQueueService.EmptyBatchRequest', 'There should be at least one SendMessageBatchRequestEntry in the request.'),
    );
  });

  it('DeleteMessageBatch and ChangeMessageVisibilityBatch entries', async () => {
    await post({ Action: 'CreateQueue', QueueName: 'raw-b2' });
    await post({ Action: 'SendMessage', MessageBody: 'm' }, '/000000000000/raw-b2');
    const handle = /<ReceiptHandle>([^<]+)</.exec((await post({ Action: 'ReceiveMessage' }, '/000000000000/raw-b2')).xml)![1]!;
    const cv = await post(
      {
        Action: 'ChangeMessageVisibilityBatch',
        'ChangeMessageVisibilityBatchRequestEntry.1.Id': 'h',
        'ChangeMessageVisibilityBatchRequestEntry.1.ReceiptHandle': handle,
        'ChangeMessageVisibilityBatchRequestEntry.1.VisibilityTimeout': '5',
      },
      '/000000000000/raw-b2',
    );
    expect(normalize(cv)).toBe(
      ok('ChangeMessageVisibilityBatch', '<ChangeMessageVisibilityBatchResult><ChangeMessageVisibilityBatchResultEntry><Id>h</Id></ChangeMessageVisibilityBatchResultEntry></ChangeMessageVisibilityBatchResult>'),
    );
    const del = await post(
      {
        Action: 'DeleteMessageBatch',
        'DeleteMessageBatchRequestEntry.1.Id': 'h',
        'DeleteMessageBatchRequestEntry.1.ReceiptHandle': handle,
      },
      '/000000000000/raw-b2',
    );
    expect(normalize(del)).toBe(
      ok('DeleteMessageBatch', '<DeleteMessageBatchResult><DeleteMessageBatchResultEntry><Id>h</Id></DeleteMessageBatchResultEntry></DeleteMessageBatchResult>'),
    );
  });

  it('errors: NonExistentQueue, InvalidAction, MissingAction, validation', async () => {
    const missing = await post({ Action: 'DeleteQueue', QueueUrl: `${base}/raw-nope` });
    expect(missing.status).toBe(400);
    expect(missing.type).toBe('text/xml');
    expect(normalize(missing)).toBe(
      error('Sender', 'AWS.SimpleQueueService.NonExistentQueue', 'The specified queue does not exist for this wsdl version.'),
    );
    const viaPath = await post({ Action: 'SendMessage', MessageBody: 'x' }, '/000000000000/raw-nope');
    expect(normalize(viaPath)).toBe(
      error('Sender', 'AWS.SimpleQueueService.NonExistentQueue', 'The specified queue does not exist for this wsdl version.'),
    );
    const invalid = await post({ Action: 'FlyToTheMoon' });
    expect(invalid.status).toBe(400);
    expect(normalize(invalid)).toBe(error('Sender', 'InvalidAction', 'The action FlyToTheMoon is not valid for this endpoint.'));
    const noAction = await post({ QueueName: 'x' });
    expect(noAction.status).toBe(400);
    expect(normalize(noAction)).toBe(error('Sender', 'MissingAction', 'The request must contain the parameter Action.'));
    const badInt = await post({ Action: 'ReceiveMessage', MaxNumberOfMessages: 'ten' }, '/000000000000/raw-nope');
    expect(badInt.status).toBe(400);
    await post({ Action: 'CreateQueue', QueueName: 'raw-err' });
    const badIntReal = await post({ Action: 'ReceiveMessage', MaxNumberOfMessages: 'ten' }, '/000000000000/raw-err');
    expect(normalize(badIntReal)).toBe(
      error('Sender', 'InvalidParameterValue', 'Value ten for parameter MaxNumberOfMessages is invalid. Reason: Must be an integer.'),
    );
    const noName = await post({ Action: 'CreateQueue' });
    expect(normalize(noName)).toBe(error('Sender', 'MissingParameter', 'The request must contain the parameter QueueName.'));
  });
});
