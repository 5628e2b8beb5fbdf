// The seam between HTTP servers and Sluice: uWebSockets.js where its binary loads, node:http
// otherwise. Both hand over a whole request and take a whole response.

export interface HttpRequest {
  method: string;
  /** Path without the query string. */
  path: string;
  /** Raw query string without '?'. */
  query: string;
  /** Lower-case header names. */
  headers: Record<string, string>;
  body: Buffer;
  /** The peer's address; '' when the server does not need it (signatures off). */
  remoteAddress: string;
  /** The body passed the size cap and was not read; the answer closes the connection. */
  tooLarge?: boolean;
}

export interface HttpResponse {
  status: number;
  headers: Record<string, string>;
  /** Sent as x-amzn-requestid beside `headers` (kept apart so no header object is copied). */
  requestId?: string;
  body: string | Buffer;
}

export interface Exchange {
  req: HttpRequest;
  respond(res: HttpResponse): void;
  /** Registers what to do if the client goes away before the answer. */
  onAbort(fn: () => void): void;
}

export type Handler = (x: Exchange) => void;

export interface Listening {
  port: number;
  close(): Promise<void>;
}

export interface TransportOptions {
  host: string;
  port: number;
  /** Larger bodies get 413 without being buffered whole. */
  bodyBytesMax: number;
  /**
   * Header names (lower case) the server reads; `null` copies every header (SigV4 verification
   * needs all signed headers). Copying only these is cheaper per request.
   */
  headers: readonly string[] | null;
}

export const STATUS_TEXT: Record<number, string> = {
  200: '200 OK',
  400: '400 Bad Request',
  403: '403 Forbidden',
  404: '404 Not Found',
  405: '405 Method Not Allowed',
  413: '413 Payload Too Large',
  500: '500 Internal Server Error',
  503: '503 Service Unavailable',
};
