// The action table: every SQS action Sluice serves, by its wire name.
import { changeMessageVisibility, changeMessageVisibilityBatch } from './change-message-visibility.js';
import type { Action } from './context.js';
import { createQueue } from './create-queue.js';
import { deleteMessage, deleteMessageBatch } from './delete-message.js';
import { deleteQueue } from './delete-queue.js';
import { getQueueUrl } from './get-queue-url.js';
import { listDeadLetterSourceQueues } from './list-dead-letter-source-queues.js';
import { listQueues } from './list-queues.js';
import { cancelMessageMoveTask, listMessageMoveTasks, startMessageMoveTask } from './move-tasks.js';
import { addPermission, removePermission } from './permissions.js';
import { purgeQueue } from './purge-queue.js';
import { getQueueAttributes, setQueueAttributes } from './queue-attributes.js';
import { receiveMessage } from './receive-message.js';
import { sendMessage } from './send-message.js';
import { sendMessageBatch } from './send-message-batch.js';
import { listQueueTags, tagQueue, untagQueue } from './tags.js';

export const ACTIONS: ReadonlyMap<string, Action> = new Map(
  [
    createQueue,
    getQueueUrl,
    listQueues,
    deleteQueue,
    getQueueAttributes,
    setQueueAttributes,
    purgeQueue,
    sendMessage,
    sendMessageBatch,
    receiveMessage,
    deleteMessage,
    deleteMessageBatch,
    changeMessageVisibility,
    changeMessageVisibilityBatch,
    tagQueue,
    untagQueue,
    listQueueTags,
    listDeadLetterSourceQueues,
    addPermission,
    removePermission,
    startMessageMoveTask,
    cancelMessageMoveTask,
    listMessageMoveTasks,
  ].map((a) => [a.name, a]),
);
