/**
 * The TLS listener of `serve --tls`: a node:tls server seen as a `Deno.Listener`, so the
 * accept loop (lib/serve/server.ts) is the same for TCP and TLS. `accept` resolves with a
 * connection once its handshake is done (a {@linkcode NodeTlsConn}), or rejects with
 * {@linkcode TlsHandshakeFailed} for a client whose handshake failed.
 *
 * Why node:tls and not `Deno.listenTls` (measured on this machine, Deno 2.9): Deno's TLS
 * conns cannot turn Nagle off, and its TLS 1.3 session tickets then hold the first reply
 * of every connection ~40 ms (23 connect+echo round trips per second instead of ~800);
 * and `Deno.listenTls` cannot ask for client certificates. Every accepted socket gets
 * TCP_NODELAY before the handshake.
 */

import type net from "node:net";
import tls from "node:tls";
import { type Address, formatAddress } from "../common/address.ts";
import { describeNetError, RuntimeError } from "../common/errors.ts";
import { NodeTlsConn } from "./conn.ts";
import type { TlsServerCredentials } from "./credentials.ts";
import { TlsHandshakeFailed } from "./errors.ts";
import { peerInfo } from "./info.ts";

/**
 * Bytes a client may send ahead of what its connection's loop has read (echo: of what
 * the client read back): node:tls reads on regardless (see conn.ts), so this bounds the
 * memory one client can take.
 */
export const MAX_READ_AHEAD_BYTES = 64 * 1024 * 1024;

/** A client that has not finished its handshake by then is dropped. */
export const HANDSHAKE_TIMEOUT_MS = 10_000;

type Accepted = { conn: NodeTlsConn } | { error: Error };

/** A listening TLS server. */
export class TlsListener implements Deno.Listener {
  readonly addr: Deno.Addr;
  readonly #server: tls.Server;
  readonly #unixPath: string | undefined;
  #queue: Accepted[] = [];
  #waiter: ((item: Accepted | undefined) => void) | undefined;
  #closed = false;

  private constructor(server: tls.Server, addr: Deno.Addr, credentials: TlsServerCredentials) {
    this.#server = server;
    this.addr = addr;
    this.#unixPath = addr.transport === "unix" ? addr.path : undefined;
    server.on("secureConnection", (socket: tls.TLSSocket) => {
      socket.on("error", () => {}); // NodeTlsConn takes over; an early error must not throw
      this.#push({
        conn: new NodeTlsConn(socket, peerInfo(socket), this.#unixPath, MAX_READ_AHEAD_BYTES),
      });
    });
    server.on("tlsClientError", (error: Error, socket: tls.TLSSocket) => {
      // A failed TLS socket may no longer know its peer; the TCP socket under it does.
      const tcp = (socket as { _parent?: net.Socket })._parent ?? socket;
      const peer = this.#unixPath === undefined
        ? formatAddress({
          transport: "tcp",
          hostname: (tcp.remoteAddress ?? "?").replace(/^::ffff:(\d+\.\d+\.\d+\.\d+)$/, "$1"),
          port: tcp.remotePort ?? 0,
        })
        : `unix:${this.#unixPath}`;
      socket.destroy();
      let reason = describeHandshakeError(error);
      // Deno's node:tls drops a client whose certificate it refuses without saying why.
      if (credentials.clientCa !== undefined && reason === "the client closed the connection") {
        reason = "the connection ended in the handshake (a client certificate not issued " +
          "by --client-ca?)";
      }
      this.#push({ error: new TlsHandshakeFailed(peer, reason) });
    });
  }

  /** Binds `address` and resolves once listening. */
  static async listen(
    address: Address,
    credentials: TlsServerCredentials,
    reusePort = false,
  ): Promise<TlsListener> {
    const server = tls.createServer({
      cert: credentials.cert,
      key: credentials.key,
      allowHalfOpen: true, // a client's EOF ends its input, not the echo it is waiting for
      handshakeTimeout: HANDSHAKE_TIMEOUT_MS,
      ...(credentials.clientCa === undefined
        ? {}
        : { ca: credentials.clientCa, requestCert: true, rejectUnauthorized: true }),
    });
    server.on("connection", (socket: net.Socket) => {
      try {
        socket.setNoDelay(true);
      } catch {
        // a unix socket has no Nagle to turn off
      }
    });
    await new Promise<void>((resolve, reject) => {
      const fail = (error: Error) => {
        server.close();
        reject(
          new RuntimeError(
            `cannot listen on "${formatAddress(address)}": ${describeNetError(error)}`,
          ),
        );
      };
      server.once("error", fail);
      const listening = () => {
        server.off("error", fail);
        resolve();
      };
      if (address.transport === "unix") server.listen({ path: address.path }, listening);
      else server.listen({ host: address.hostname, port: address.port, reusePort }, listening);
    });
    server.on("error", () => {}); // after listening, failures surface per connection
    const bound = server.address();
    const addr: Deno.Addr = typeof bound === "string" || bound === null
      ? { transport: "unix", path: address.transport === "unix" ? address.path : String(bound) }
      : { transport: "tcp", hostname: bound.address, port: bound.port };
    return new TlsListener(server, addr, credentials);
  }

  #push(item: Accepted) {
    if (this.#closed) {
      if ("conn" in item) item.conn.close();
      return;
    }
    const waiter = this.#waiter;
    this.#waiter = undefined;
    if (waiter) waiter(item);
    else this.#queue.push(item);
  }

  async accept(): Promise<Deno.Conn> {
    if (this.#closed) throw new Deno.errors.BadResource("the listener is closed");
    const item = this.#queue.shift() ??
      await new Promise<Accepted | undefined>((resolve) => this.#waiter = resolve);
    if (item === undefined) throw new Deno.errors.BadResource("the listener is closed");
    if ("error" in item) throw item.error;
    return item.conn;
  }

  /** Stops accepting; connections already accepted go on. */
  close(): void {
    if (this.#closed) throw new Deno.errors.BadResource("the listener is closed");
    this.#closed = true;
    this.#server.close();
    for (const item of this.#queue) if ("conn" in item) item.conn.close();
    this.#queue = [];
    const waiter = this.#waiter;
    this.#waiter = undefined;
    waiter?.(undefined);
  }

  ref(): void {
    this.#server.ref();
  }

  unref(): void {
    this.#server.unref();
  }

  async *[Symbol.asyncIterator](): AsyncIterableIterator<Deno.Conn> {
    while (true) {
      try {
        yield await this.accept();
      } catch (error) {
        if (error instanceof Deno.errors.BadResource) return;
        if (error instanceof TlsHandshakeFailed) continue;
        throw error;
      }
    }
  }

  [Symbol.dispose](): void {
    if (!this.#closed) this.close();
  }
}

/** A client's failed handshake in a few words: `no client certificate`, `timed out`, … */
export function describeHandshakeError(error: Error): string {
  const code = (error as { code?: string }).code ?? "";
  const message = error.message;
  if (/PEER_DID_NOT_RETURN_A_CERTIFICATE|no certificates/i.test(code + message)) {
    return "no client certificate";
  }
  if (/timeout|timed out/i.test(code + message)) return "timed out";
  if (code === "ECONNRESET" || /socket hang up|ECONNRESET/.test(message)) {
    return "the client closed the connection";
  }
  return describeNetError(error);
}
