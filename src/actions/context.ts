// What a handler gets besides its input: the core, config, caller, and how to build URLs.
import type { Config } from '../config.js';
import type { LongPoll } from '../long-poll.js';
import type { Core } from '../native.js';
import type { Input } from '../validate.js';

export interface Context {
  core: Core;
  config: Config;
  longPoll: LongPoll;
  /** The caller's account: queues live under it. */
  account: string;
  /** SenderId of messages this caller sends. */
  senderId: string;
  /** host[:port] for returned queue URLs. */
  host: string;
  requestId: string;
  /** The answer goes out in the JSON protocol (a handler may return a `JsonBody`). */
  json: boolean;
  /** Set when the client went away while the request waited. */
  aborted: boolean;
  /** Set by the send actions: the size of each message stored, as AWS counts it (metrics). */
  sentSizes?: number[];
  /** Set by a handler that waits: called if the client goes away meanwhile. */
  onAbort?: () => void;
}

/** A context acting as the configured default account (the caller may change it after auth). */
export function newContext(core: Core, config: Config, longPoll: LongPoll, host: string, requestId: string, json: boolean): Context {
  return { core, config, longPoll, account: config.accountId, senderId: config.accountId, host, requestId, json, aborted: false };
}

export interface Action {
  name: string;
  handle(ctx: Context, input: Input): object | Promise<object>;
}
