#!/usr/bin/env node
// A "null" SQS endpoint on uWebSockets.js for calibrating the load generator: it answers the
// actions the driver uses with canned, valid JSON and stores nothing. Whatever rate the driver
// reaches against it is the client's ceiling on this machine (plus uWS's own minimal cost).
//   node bench/null-server.mjs [port]      (default 9399; prints its PID)
// Use with: node bench/driver.mjs --workload send --url http://127.0.0.1:9399 --no-preflight --pid PID
import { createRequire } from 'node:module';
const require = createRequire(import.meta.url);
const uWS = require('uWebSockets.js');

const port = Number(process.argv[2] || 9399);
const qurl = `http://127.0.0.1:${port}/000000000000/q`;
const batchOk = JSON.stringify({ Successful: Array.from({ length: 10 }, (_, i) => ({ Id: `m${i}`, MessageId: '00000000-0000-0000-0000-00000000000' + i, MD5OfMessageBody: '0'.repeat(32) })), Failed: [] });
const answers = {
  'AmazonSQS.CreateQueue': JSON.stringify({ QueueUrl: qurl }),
  'AmazonSQS.DeleteQueue': '{}',
  'AmazonSQS.ListQueues': JSON.stringify({ QueueUrls: [qurl] }),
  'AmazonSQS.SendMessage': JSON.stringify({ MessageId: '00000000-0000-0000-0000-000000000000', MD5OfMessageBody: '0'.repeat(32) }),
  'AmazonSQS.SendMessageBatch': batchOk,
  'AmazonSQS.ReceiveMessage': '{}',
  'AmazonSQS.DeleteMessage': '{}',
};
uWS.App().post('/*', (res, req) => {
  const target = req.getHeader('x-amz-target');
  let aborted = false;
  res.onAborted(() => { aborted = true; });
  res.onData((chunk, last) => {
    if (!last || aborted) return;
    const a = answers[target];
    res.cork(() => {
      if (a === undefined) res.writeStatus('400 Bad Request').writeHeader('Content-Type', 'application/x-amz-json-1.0').end('{"__type":"com.amazonaws.sqs#InvalidAction","message":"null-server"}');
      else res.writeHeader('Content-Type', 'application/x-amz-json-1.0').end(a);
    });
  });
}).listen('127.0.0.1', port, (ok) => {
  if (!ok) { console.error(`cannot listen on ${port}`); process.exit(1); }
  console.log(process.pid);
});
