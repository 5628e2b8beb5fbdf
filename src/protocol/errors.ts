// SQS errors as values, and their wire shapes for both protocols. Handlers throw SqsError with
// a catalogue code; only this file knows how an error looks on the wire.
import { ERRORS, type ErrorCode } from '../generated/errors.js';
import { wellFormed } from '../unicode.js';
import { xmlText } from './xml.js';

export class SqsError extends Error {
  readonly code: ErrorCode;
  constructor(code: ErrorCode, message?: string) {
    // Messages quote client values ("Value X for parameter Y"), in error answers and in batch
    // entries' failures. A lone surrogate in one would reach the JSON answer as a \ud800 escape
    // that strict parsers (serde_json, Go's) refuse: it goes as U+FFFD, as in the XML.
    super(wellFormed(message ?? ERRORS[code].message));
    this.code = code;
  }
  get spec() {
    return ERRORS[this.code];
  }
}

/** InvalidParameterValue with AWS's "Value X for parameter Y is invalid. Reason: Z." form. */
export function invalidValue(param: string, value: unknown, reason: string): SqsError {
  return new SqsError(
    'InvalidParameterValueException',
    `Value ${String(value)} for parameter ${param} is invalid. Reason: ${reason}`,
  );
}

export function missingParameter(param: string): SqsError {
  return new SqsError(
    'MissingRequiredParameterException',
    `The request must contain the parameter ${param}.`,
  );
}

export function internalError(): SqsError {
  return new SqsError('InternalFailure');
}

export interface WireError {
  status: number;
  headers: Record<string, string>;
  body: string;
}

export function jsonError(e: SqsError): WireError {
  const s = e.spec;
  return {
    status: s.httpStatus,
    headers: {
      'content-type': 'application/x-amz-json-1.0',
      'x-amzn-query-error': `${s.queryCode};${s.senderFault ? 'Sender' : 'Receiver'}`,
    },
    body: JSON.stringify({ __type: `com.amazonaws.sqs#${s.code}`, message: e.message }),
  };
}

export function queryError(e: SqsError, requestId: string): WireError {
  const s = e.spec;
  // The Query protocol's own wording where it differs from the JSON protocol's.
  const message =
    e.code === 'QueueDoesNotExist' ? 'The specified queue does not exist for this wsdl version.' : e.message;
  return {
    status: s.httpStatus,
    headers: { 'content-type': 'text/xml' },
    body:
      `<?xml version="1.0"?><ErrorResponse xmlns="http://queue.amazonaws.com/doc/2012-11-05/">` +
      `<Error><Type>${s.senderFault ? 'Sender' : 'Receiver'}</Type><Code>${xmlText(s.queryCode)}</Code>` +
      `<Message>${xmlText(message)}</Message><Detail/></Error>` +
      `<RequestId>${requestId}</RequestId></ErrorResponse>`,
  };
}
