/**
 * A node:tls socket seen as a `Deno.Conn`, so serve's modes, connect's bridge and bench's
 * strategies run over TLS unchanged: `read` into the caller's buffer, `write` that may be
 * reused as soon as it resolves, `closeWrite` as a TLS close_notify plus FIN (half-close),
 * `close` at once. node:tls rather than Deno's TLS because only it can pin, skip
 * verification, show the peer certificate and verify client certificates, and because a
 * Deno TLS server cannot turn Nagle off (lib/tls/server.ts).
 *
 * Reading never pauses the socket. In Deno 2.9 `pause()` on a node:tls socket stops its
 * 'data' events but not its reads from TCP (a paused socket was measured taking 200 MB in
 * 3 s), and a peer's EOF that arrives while paused is lost (a half-closed upload then
 * hangs forever). So a pause would cost the EOF and save no memory. Instead a reader may
 * cap what it lets the peer send ahead: past `maxReadAheadBytes` the connection fails.
 */

import type { Socket } from "node:net";
import type { TLSSocket } from "node:tls";
import type { TlsPeerInfo } from "./info.ts";
import { formatBytes } from "../common/format.ts";

/** How long a closed connection may wait for its close_notify to go out. */
const CLOSE_GRACE_MS = 2000;

/** A `Deno.Conn` over a node:tls socket, with what its handshake established. */
export class NodeTlsConn implements Deno.Conn {
  readonly localAddr: Deno.Addr;
  readonly remoteAddr: Deno.Addr;
  /** Protocol, cipher, ALPN and the peer's certificate. */
  readonly tls: TlsPeerInfo;
  readonly #socket: TLSSocket;
  #queue: Uint8Array[] = [];
  #queued = 0;
  #ended = false;
  #closedByUs = false;
  #error: Error | undefined;
  #wake: (() => void) | undefined;
  #readable: ReadableStream<Uint8Array<ArrayBuffer>> | undefined;
  #writable: WritableStream<Uint8Array<ArrayBufferLike>> | undefined;

  /**
   * `maxReadAheadBytes`: received bytes not yet read that make the connection fail (a
   * server's guard against a client that sends without reading); no limit by default.
   */
  constructor(
    socket: TLSSocket,
    info: TlsPeerInfo,
    unixPath?: string,
    maxReadAheadBytes = Infinity,
  ) {
    this.#socket = socket;
    this.tls = info;
    this.localAddr = addrOf(socket.localAddress, socket.localPort, unixPath);
    this.remoteAddr = addrOf(
      socket.remoteAddress,
      socket.remotePort,
      unixPath === undefined ? undefined : "",
    );
    const wake = () => {
      const resolve = this.#wake;
      this.#wake = undefined;
      resolve?.();
    };
    socket.on("data", (chunk: Uint8Array) => {
      this.#queue.push(chunk);
      this.#queued += chunk.length;
      if (this.#queued > maxReadAheadBytes && !this.#error) {
        this.#error = Object.assign(
          new Error(`the peer sent over ${formatBytes(maxReadAheadBytes)} that was not read yet`),
          { code: "EREADAHEAD" },
        );
        this.#queue = [];
        this.#queued = 0;
        socket.destroy();
      }
      wake();
    });
    socket.on("end", () => {
      this.#ended = true;
      wake();
    });
    socket.on("error", (error: Error) => {
      this.#error ??= explainAlert(error);
      wake();
    });
    socket.on("close", () => {
      this.#ended = true;
      wake();
    });
  }

  /** Records a failure seen elsewhere (the TCP socket under this one); reads then throw it. */
  fail(error: Error): void {
    this.#error ??= explainAlert(error);
    this.#socket.destroy();
    const resolve = this.#wake;
    this.#wake = undefined;
    resolve?.();
  }

  async read(buffer: Uint8Array): Promise<number | null> {
    while (true) {
      if (this.#closedByUs) throw new Deno.errors.BadResource("the connection is closed");
      if (this.#queue.length > 0) return this.#take(buffer);
      if (this.#error) throw this.#error;
      if (this.#ended) return null;
      await new Promise<void>((resolve) => this.#wake = resolve);
    }
  }

  #take(buffer: Uint8Array): number {
    let n = 0;
    while (n < buffer.length && this.#queue.length > 0) {
      const chunk = this.#queue[0];
      const k = Math.min(chunk.length, buffer.length - n);
      buffer.set(k === chunk.length ? chunk : chunk.subarray(0, k), n);
      n += k;
      if (k === chunk.length) this.#queue.shift();
      else this.#queue[0] = chunk.subarray(k);
    }
    this.#queued -= n;
    return n;
  }

  /**
   * Queues all of `data` (a copy: the caller may reuse its buffer at once) and resolves
   * when the socket wants more, so a slow peer holds the writer back.
   */
  write(data: Uint8Array): Promise<number> {
    const socket = this.#socket;
    if (this.#closedByUs) {
      return Promise.reject(new Deno.errors.BadResource("the connection is closed"));
    }
    if (this.#error) return Promise.reject(this.#error);
    if (socket.destroyed || socket.writableEnded) return Promise.reject(closedError());
    if (socket.write(data.slice())) return Promise.resolve(data.length);
    return new Promise((resolve, reject) => {
      const cleanup = () => {
        socket.off("drain", onDrain);
        socket.off("close", onClose);
        socket.off("error", onError);
      };
      const onDrain = () => {
        cleanup();
        resolve(data.length);
      };
      const onClose = () => {
        cleanup();
        reject(this.#error ?? closedError());
      };
      const onError = (error: Error) => {
        cleanup();
        reject(error);
      };
      socket.on("drain", onDrain);
      socket.on("close", onClose);
      socket.on("error", onError);
    });
  }

  /** Sends close_notify and shuts down the write side; reading goes on. */
  closeWrite(): Promise<void> {
    const socket = this.#socket;
    if (this.#closedByUs) {
      return Promise.reject(new Deno.errors.BadResource("the connection is closed"));
    }
    if (socket.destroyed) return Promise.reject(closedError());
    if (socket.writableEnded) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const onError = (error: Error) => reject(error);
      socket.once("error", onError);
      socket.end(() => {
        socket.off("error", onError);
        resolve();
      });
    });
  }

  /**
   * Closes at once for this side; the socket says goodbye properly (close_notify, which a
   * strict peer such as Deno's own TLS expects before the FIN) and is destroyed once the
   * peer closes too, or after {@linkcode CLOSE_GRACE_MS}.
   */
  close(): void {
    if (this.#closedByUs) throw new Deno.errors.BadResource("the connection is closed");
    this.#closedByUs = true;
    const socket = this.#socket;
    if (socket.destroyed || socket.writableEnded || this.#error) {
      socket.destroy();
    } else {
      const timer = setTimeout(() => socket.destroy(), CLOSE_GRACE_MS);
      Deno.unrefTimer(timer);
      socket.once("close", () => clearTimeout(timer));
      socket.on("data", () => {}); // what still arrives is dropped
      socket.end(() => socket.destroy());
    }
    const resolve = this.#wake;
    this.#wake = undefined;
    resolve?.();
  }

  /** TCP_NODELAY is set when the connection is made (tcpkit never wants Nagle). */
  setNoDelay(_noDelay?: boolean): void {}

  setKeepAlive(keepAlive?: boolean): void {
    this.#socket.setKeepAlive(keepAlive ?? true);
  }

  ref(): void {
    (this.#socket as unknown as Socket).ref();
  }

  unref(): void {
    (this.#socket as unknown as Socket).unref();
  }

  get readable(): ReadableStream<Uint8Array<ArrayBuffer>> {
    this.#readable ??= new ReadableStream({
      type: "bytes",
      pull: async (controller) => {
        const buffer = new Uint8Array(64 * 1024);
        const n = await this.read(buffer);
        if (n === null) controller.close();
        else controller.enqueue(buffer.subarray(0, n));
      },
    });
    return this.#readable;
  }

  get writable(): WritableStream<Uint8Array<ArrayBufferLike>> {
    this.#writable ??= new WritableStream({
      write: async (chunk) => {
        await this.write(chunk);
      },
      close: () => this.closeWrite(),
    });
    return this.#writable;
  }

  [Symbol.dispose](): void {
    if (!this.#closedByUs) this.close();
  }
}

/**
 * A TLS alert from the peer after the handshake, in words: with TLS 1.3 a server that
 * refuses the client's certificate (or its absence) says so only then.
 */
export function explainAlert(error: Error): Error {
  const text = `${(error as { code?: string }).code ?? ""} ${error.message}`;
  const why = /CERTIFICATE_REQUIRED|CertificateRequired/i.test(text)
    ? "the server requires a client certificate (--cert/--key)"
    : /BAD_CERTIFICATE|BadCertificate|UNKNOWN_CA|UnknownCA|CERTIFICATE_UNKNOWN|CertificateUnknown|DecryptError/i
        .test(text)
    ? "the server refused the client certificate"
    : undefined;
  return why === undefined ? error : Object.assign(new Error(why), { code: "ETLSALERT" });
}

function closedError(): Error {
  return Object.assign(new Error("the connection is closed"), { code: "EPIPE" });
}

function addrOf(hostname: string | undefined, port: number | undefined, unixPath?: string) {
  if (unixPath !== undefined) return { transport: "unix" as const, path: unixPath };
  return {
    transport: "tcp" as const,
    hostname: (hostname ?? "").replace(/^::ffff:(\d+\.\d+\.\d+\.\d+)$/, "$1"),
    port: port ?? 0,
  };
}
