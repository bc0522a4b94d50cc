/**
 * The TLS flags of the command line, declared once and spread into the commands in
 * declaration.ts: serve's listening side, the client trust flags that connect and bench
 * share, and serve --forward's trust flags towards its TARGET.
 */

import type { FlagSpec } from "./declaration.ts";

/** `serve`'s TLS flags (lib/tls/options.ts reads them). */
export const TLS_SERVE_FLAGS: readonly FlagSpec[] = [
  {
    name: "tls",
    kind: "boolean",
    help: "Serve over TLS, with a generated certificate kept in the state directory " +
      "(same fingerprint every run) unless --cert/--key",
  },
  {
    name: "cert",
    kind: "string",
    metavar: "PATH",
    help: "With --tls: the certificate chain to serve (PEM)",
  },
  {
    name: "key",
    kind: "string",
    metavar: "PATH",
    help: "With --cert: its private key (PEM: PKCS#8, SEC1 or PKCS#1; ECDSA, RSA or Ed25519)",
  },
  {
    name: "tls-name",
    kind: "string",
    metavar: "NAME",
    multiple: true,
    help: "Add a DNS name or IP address to the generated certificate " +
      "(it always has localhost, 127.0.0.1 and ::1)",
  },
  {
    name: "tls-ephemeral",
    kind: "boolean",
    help: "Generate a fresh certificate for this run instead of the saved one",
  },
  {
    name: "cert-out",
    kind: "string",
    metavar: "PATH",
    help: "Write the certificate in use (PEM) to PATH, for clients' --ca",
  },
  {
    name: "client-ca",
    kind: "string",
    metavar: "PATH",
    help: "Require client certificates issued by a CA in PATH (mTLS); the log names each client",
  },
];

/** The TLS flags of `connect` and `bench`: trust, names, client certificate. */
export const TLS_CLIENT_FLAGS: readonly FlagSpec[] = [
  {
    name: "tls",
    kind: "boolean",
    help: "Speak TLS, verifying the server against the system roots (and --ca)",
  },
  {
    name: "ca",
    kind: "string",
    metavar: "PATH",
    help: "With --tls: also trust the CA certificates in PATH (PEM)",
  },
  {
    name: "pin",
    kind: "string",
    metavar: "sha256:HEX",
    help: "With --tls: trust exactly the certificate with this SHA-256 fingerprint " +
      "(checked before any byte is sent)",
  },
  {
    name: "insecure",
    short: "k",
    kind: "boolean",
    help: "With --tls: do not verify the server (a warning shows its fingerprint)",
  },
  {
    name: "servername",
    kind: "string",
    metavar: "NAME",
    help: "With --tls: the name sent (SNI) and verified (default: the address's host)",
  },
  {
    name: "alpn",
    kind: "string",
    metavar: "PROTO",
    multiple: true,
    help: "With --tls: offer this ALPN protocol, e.g. h2 or http/1.1",
  },
  {
    name: "cert",
    kind: "string",
    metavar: "PATH",
    help: "With --tls: a client certificate (PEM) for servers that ask for one (mTLS)",
  },
  {
    name: "key",
    kind: "string",
    metavar: "PATH",
    help: "With --cert: its private key (PEM)",
  },
];

/**
 * `serve --forward`'s TLS to TARGET: the trust flags of connect's `--tls`, named apart from
 * serve's own `--cert`/`--key` (lib/tls/options.ts reads them with the `forward-` prefix).
 */
export const FORWARD_TLS_FLAGS: readonly FlagSpec[] = [
  {
    name: "forward-tls",
    kind: "boolean",
    help: "With --forward: speak TLS to TARGET, verifying it against the system roots " +
      "(and --forward-ca)",
  },
  {
    name: "forward-ca",
    kind: "string",
    metavar: "PATH",
    help: "With --forward-tls: also trust the CA certificates in PATH (PEM)",
  },
  {
    name: "forward-pin",
    kind: "string",
    metavar: "sha256:HEX",
    help: "With --forward-tls: trust exactly TARGET's certificate with this SHA-256 fingerprint",
  },
  {
    name: "forward-insecure",
    kind: "boolean",
    help: "With --forward-tls: do not verify TARGET (a warning says so at start)",
  },
  {
    name: "forward-servername",
    kind: "string",
    metavar: "NAME",
    help: "With --forward-tls: the name sent (SNI) and verified (default: TARGET's host)",
  },
  {
    name: "forward-alpn",
    kind: "string",
    metavar: "PROTO",
    multiple: true,
    help: "With --forward-tls: offer this ALPN protocol to TARGET, e.g. http/1.1",
  },
  {
    name: "forward-cert",
    kind: "string",
    metavar: "PATH",
    help: "With --forward-tls: a client certificate (PEM) for a TARGET that asks for one (mTLS)",
  },
  {
    name: "forward-key",
    kind: "string",
    metavar: "PATH",
    help: "With --forward-cert: its private key (PEM)",
  },
];
