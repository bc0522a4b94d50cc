/**
 * TLS options of the three commands, their types and how they are built from the parsed
 * command line, with the cross-flag rules that make a combination a usage error. Pure:
 * files are named here and read when the command runs (credentials.ts, trust.ts).
 */

import { UsageError } from "../common/errors.ts";
import type { FlagValues } from "../common/flag_values.ts";
import { parsePin } from "./fingerprint.ts";
import { parseTlsName, type TlsName } from "./names.ts";

/** `serve --tls`: where the certificate comes from and whom to ask for one. */
export interface TlsServeOptions {
  /** Certificate chain (PEM) to serve; undefined generates one. */
  certFile: string | undefined;
  /** Its private key (PEM: PKCS #8, SEC1, PKCS #1; RSA, ECDSA or Ed25519). */
  keyFile: string | undefined;
  /** Generate a fresh certificate for this run instead of the saved one. @default false */
  ephemeral: boolean;
  /** Names added to a generated certificate (besides localhost, 127.0.0.1, ::1). */
  names: TlsName[];
  /** Write the certificate in use (PEM) here for clients to trust. */
  certOut: string | undefined;
  /** Require client certificates issued by a CA in this file (mTLS). */
  clientCaFile: string | undefined;
}

/** `connect --tls` and `bench --tls`: whom to trust and what to announce. */
export interface TlsClientOptions {
  /** CA certificates (PEM) trusted besides the system roots. */
  caFile: string | undefined;
  /** Trust exactly the certificate with this SHA-256 (64 lowercase hex digits). */
  pin: string | undefined;
  /** No verification at all (a warning names the certificate). @default false */
  insecure: boolean;
  /** SNI and the name verified; undefined uses the host of the address. */
  servername: string | undefined;
  /** ALPN protocols offered, in order of preference. */
  alpn: string[];
  /** Client certificate (PEM) for servers that ask for one (mTLS). */
  certFile: string | undefined;
  keyFile: string | undefined;
}

/** `serve`'s TLS options; undefined without `--tls` (whose companions then are errors). */
export function tlsServeOptions(flags: FlagValues): TlsServeOptions | undefined {
  if (!flags.bool("tls")) {
    needsTls(flags, ["cert", "key", "tls-ephemeral", "tls-name", "cert-out", "client-ca"]);
    return undefined;
  }
  const options: TlsServeOptions = {
    certFile: flags.string("cert"),
    keyFile: flags.string("key"),
    ephemeral: flags.bool("tls-ephemeral"),
    names: flags.strings("tls-name").map((text) => {
      try {
        return parseTlsName(text);
      } catch (error) {
        throw new UsageError(`invalid value for --tls-name: ${(error as Error).message}`);
      }
    }),
    certOut: flags.string("cert-out"),
    clientCaFile: flags.string("client-ca"),
  };
  pairedCertKey(options);
  if (options.certFile !== undefined && options.ephemeral) {
    throw new UsageError(
      "--tls-ephemeral generates a certificate; it cannot be combined with --cert",
    );
  }
  if (options.certFile !== undefined && options.names.length > 0) {
    throw new UsageError("--tls-name names a generated certificate; --cert brings its own names");
  }
  return options;
}

/**
 * `connect`'s or `bench`'s TLS options; undefined without `--tls`. With a `prefix`, the
 * same flags under other names: `serve --forward-tls` reads `--forward-ca`, `--forward-pin`…
 */
export function tlsClientOptions(flags: FlagValues, prefix = ""): TlsClientOptions | undefined {
  const flag = (name: string) => `${prefix}${name}`;
  const companions = ["ca", "pin", "insecure", "servername", "alpn", "cert", "key"].map(flag);
  if (!flags.bool(flag("tls"))) {
    needsTls(flags, companions, flag("tls"));
    return undefined;
  }
  const pinText = flags.string(flag("pin"));
  let pin: string | undefined;
  if (pinText !== undefined) {
    try {
      pin = parsePin(pinText);
    } catch (error) {
      throw new UsageError(`invalid value for --${flag("pin")}: ${(error as Error).message}`);
    }
  }
  const options: TlsClientOptions = {
    caFile: flags.string(flag("ca")),
    pin,
    insecure: flags.bool(flag("insecure")),
    servername: flags.string(flag("servername")),
    alpn: flags.strings(flag("alpn")),
    certFile: flags.string(flag("cert")),
    keyFile: flags.string(flag("key")),
  };
  const trust = [
    options.caFile !== undefined && `--${flag("ca")}`,
    options.pin !== undefined && `--${flag("pin")}`,
    options.insecure && `--${flag("insecure")}`,
  ].filter((x) => x);
  if (trust.length > 1) {
    throw new UsageError(
      `${trust.join(" and ")} say different things about whom to trust; use one`,
    );
  }
  if (options.servername !== undefined) {
    try {
      parseTlsName(options.servername);
    } catch (error) {
      throw new UsageError(
        `invalid value for --${flag("servername")}: ${(error as Error).message}`,
      );
    }
  }
  for (const proto of options.alpn) {
    if (proto === "" || new TextEncoder().encode(proto).length > 255) {
      throw new UsageError(`invalid value for --${flag("alpn")}: "${proto}" must be 1-255 bytes`);
    }
  }
  pairedCertKey(options, prefix);
  return options;
}

function needsTls(flags: FlagValues, names: string[], tls = "tls") {
  const given = names.find((name) => flags.given(name));
  if (given !== undefined) throw new UsageError(`--${given} needs --${tls}`);
}

function pairedCertKey(
  options: { certFile: string | undefined; keyFile: string | undefined },
  prefix = "",
) {
  const [cert, key] = [`--${prefix}cert`, `--${prefix}key`];
  if (options.certFile !== undefined && options.keyFile === undefined) {
    throw new UsageError(`${cert} needs ${key} (the certificate's private key)`);
  }
  if (options.keyFile !== undefined && options.certFile === undefined) {
    throw new UsageError(`${key} needs ${cert} (the certificate it belongs to)`);
  }
}
