// Minimal HTTP/1.1 keep-alive client on node:net for the SQS JSON protocol.
// One request in flight per connection (no pipelining), responses parsed by hand:
// Content-Length or chunked bodies, reconnect on close. No dependencies.
import net from 'node:net';

const CRLFCRLF = Buffer.from('\r\n\r\n');
const EMPTY = Buffer.alloc(0);

export function parseTarget(url) {
  const u = new URL(url);
  return { host: u.hostname, port: Number(u.port || 80), hostHeader: u.host };
}

// Build the full request bytes for one action and a JSON body string.
export function requestBytes(target, action, body) {
  const b = Buffer.from(body);
  const head = `POST / HTTP/1.1\r\nHost: ${target.hostHeader}\r\nX-Amz-Target: AmazonSQS.${action}\r\n` +
    `Content-Type: application/x-amz-json-1.0\r\nContent-Length: ${b.length}\r\n\r\n`;
  return Buffer.concat([Buffer.from(head, 'latin1'), b]);
}

// A request template: a JSON body with fixed-width numeric slots written in place, so a request
// is produced without allocating. `parts` alternates strings and slot widths (numbers):
//   new Template(target, 'SendMessage', ['{"QueueUrl":"..","MessageBody":"', 16, 'xxxx"}'])
export class Template {
  constructor(target, action, parts) {
    let body = '';
    const slots = [];
    for (const p of parts) {
      if (typeof p === 'number') { slots.push({ off: Buffer.byteLength(body), width: p }); body += '0'.repeat(p); }
      else body += p;
    }
    const bodyBuf = Buffer.from(body);
    const head = Buffer.from(`POST / HTTP/1.1\r\nHost: ${target.hostHeader}\r\nX-Amz-Target: AmazonSQS.${action}\r\n` +
      `Content-Type: application/x-amz-json-1.0\r\nContent-Length: ${bodyBuf.length}\r\n\r\n`, 'latin1');
    this.buf = Buffer.concat([head, bodyBuf]);
    this.slots = slots.map((s) => ({ off: s.off + head.length, width: s.width }));
  }
  clone() { const t = Object.create(Template.prototype); t.buf = Buffer.from(this.buf); t.slots = this.slots; return t; }
  set(i, n) {
    const { off, width } = this.slots[i];
    const buf = this.buf;
    for (let p = off + width - 1; p >= off; p--) { buf[p] = 48 + (n % 10); n = Math.floor(n / 10); }
  }
}

export class Conn {
  constructor(target, onError) {
    this.target = target;
    this.onError = onError; // (kind) => void, for transport-level errors
    this.sock = null;
    this.buf = EMPTY;
    this.cb = null;       // (status, bodyBuffer) => void
    this.req = null;      // bytes of the request in flight (resent once if the socket closed before any byte came back)
    this.closed = false;
    this.connected = false;
    this.need = 0;        // bytes needed to complete the response being collected in `parts`
    this.have = 0;
    this.parts = null;
  }

  connect() {
    return new Promise((resolve, reject) => {
      const s = net.connect({ host: this.target.host, port: this.target.port, noDelay: true });
      this.sock = s;
      this.buf = EMPTY; this.need = 0; this.parts = null;
      let opened = false;
      const timer = setTimeout(() => { if (!opened) { s.destroy(); reject(Object.assign(new Error('connect timeout'), { code: 'ETIMEDOUT' })); } }, this.connectTimeoutMs || 5000);
      s.on('connect', () => { clearTimeout(timer); opened = true; this.connected = true; resolve(); });
      s.on('data', (d) => this._data(d));
      s.on('error', (e) => { if (!opened) { clearTimeout(timer); reject(e); } else this.onError?.('socket:' + (e.code || e.message)); });
      s.on('close', () => {
        this.connected = false;
        if (this.closed || !opened || this.sock !== s) return;
        if (this.cb) {
          // The server closed with a request in flight: count it, reconnect, give the caller an error.
          const cb = this.cb; this.cb = null;
          this.onError?.('socket:closed-in-flight');
          this.connect().then(() => cb(0, EMPTY), () => cb(-1, EMPTY));
        }
      });
    });
  }

  // Send request bytes; cb(status, body) gets the status code and the raw body Buffer.
  // status 0 means the connection dropped and was re-established; -1 that reconnecting failed.
  send(bytes, cb) {
    this.cb = cb;
    this.req = bytes;
    if (!this.connected) {
      this.connect().then(() => this.sock.write(bytes), () => { this.cb = null; cb(-1, EMPTY); });
      return;
    }
    this.sock.write(bytes);
  }

  _data(d) {
    // A large body arrives in many chunks: collect them and concatenate once it is complete.
    if (this.need) {
      this.parts.push(d); this.have += d.length;
      if (this.have < this.need) return;
      this.buf = Buffer.concat(this.parts, this.have); this.parts = null; this.need = 0;
    } else this.buf = this.buf.length ? Buffer.concat([this.buf, d]) : d;
    for (;;) {
      const buf = this.buf;
      const he = buf.indexOf(CRLFCRLF);
      if (he < 0) return;
      const head = buf.latin1Slice(0, he);
      const status = Number(head.slice(9, 12));
      let clen = -1, chunked = false, close = false;
      let i = head.indexOf('\r\n') + 2;
      while (i > 1 && i < head.length) {
        let j = head.indexOf('\r\n', i); if (j < 0) j = head.length;
        const c = head.indexOf(':', i);
        if (c > 0 && c < j) {
          const name = head.slice(i, c).toLowerCase();
          if (name === 'content-length') clen = Number(head.slice(c + 1, j).trim());
          else if (name === 'transfer-encoding') chunked = /chunked/i.test(head.slice(c + 1, j));
          else if (name === 'connection') close = /close/i.test(head.slice(c + 1, j));
        }
        i = j + 2;
      }
      let body, end;
      if (chunked) {
        const r = dechunk(buf, he + 4);
        if (!r) return;
        body = r.body; end = r.end;
      } else {
        if (clen < 0) clen = 0;
        end = he + 4 + clen;
        if (buf.length < end) { this.need = end; this.have = buf.length; this.parts = [buf]; this.buf = EMPTY; return; }
        body = buf.subarray(he + 4, end);
      }
      this.buf = end === buf.length ? EMPTY : buf.subarray(end);
      const cb = this.cb; this.cb = null;
      if (close) { this.closed = false; this.sock.destroy(); this.connected = false; }
      if (cb) cb(status, body);
      else this.onError?.('http:unexpected-response');
      if (!this.buf.length) return;
    }
  }

  destroy() { this.closed = true; this.cb = null; if (this.sock) this.sock.destroy(); }
}

function dechunk(buf, pos) {
  const parts = [];
  for (;;) {
    const le = buf.indexOf('\r\n', pos, 'latin1');
    if (le < 0) return null;
    const size = parseInt(buf.latin1Slice(pos, le), 16);
    if (Number.isNaN(size)) throw new Error('bad chunk size');
    const start = le + 2;
    if (size === 0) {
      const te = buf.indexOf(CRLFCRLF, le);
      // no trailers: "0\r\n\r\n"
      const end = buf.length >= start + 2 && buf[start] === 13 && buf[start + 1] === 10 ? start + 2 : (te < 0 ? -1 : te + 4);
      if (end < 0) return null;
      return { body: Buffer.concat(parts), end };
    }
    if (buf.length < start + size + 2) return null;
    parts.push(buf.subarray(start, start + size));
    pos = start + size + 2;
  }
}
