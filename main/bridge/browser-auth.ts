/**
 * Who may talk to browser mode. The server listens on 127.0.0.1 only, and that alone is not enough:
 * any web page the user visits can send requests to 127.0.0.1, and a DNS-rebinding page can even
 * read the answers. So every request must (1) name a loopback `Host` with our port — a rebound
 * hostname fails this — and (2) carry the access token, in the `?token=` query (the URL we print)
 * or in the HttpOnly, SameSite=Strict cookie it is exchanged for; the WebSocket upgrade must also
 * (3) come from our own origin, because browsers attach cookies to cross-site WebSocket handshakes.
 */
import { timingSafeEqual } from 'node:crypto';

export const SESSION_COOKIE = 'kubelab_session';

const LOOPBACK_HOSTS = ['127.0.0.1', 'localhost', '[::1]'];

/** The `Host` header values this server answers to. */
export function allowedHosts(port: number): string[] {
  return LOOPBACK_HOSTS.map((host) => `${host}:${port}`);
}

/** True when `host` (the request's Host header) names this server on a loopback address. */
export function isAllowedHost(host: string | undefined, port: number): boolean {
  if (!host) return false;
  return allowedHosts(port).includes(host.toLowerCase());
}

/** True when `origin` is this server's own origin (`http://<allowed host>`). */
export function isAllowedOrigin(origin: string | undefined, port: number): boolean {
  if (!origin) return false;
  return allowedHosts(port).some((host) => origin.toLowerCase() === `http://${host}`);
}

/** Constant-time token comparison. */
export function tokenMatches(candidate: string | undefined | null, token: string): boolean {
  if (!candidate) return false;
  const a = Buffer.from(candidate, 'utf8');
  const b = Buffer.from(token, 'utf8');
  return a.length === b.length && timingSafeEqual(a, b);
}

/** Reads one cookie from a `Cookie` header. */
export function readCookie(header: string | undefined, name: string): string | undefined {
  if (!header) return undefined;
  for (const part of header.split(';')) {
    const index = part.indexOf('=');
    if (index < 0) continue;
    if (part.slice(0, index).trim() === name)
      return decodeURIComponent(part.slice(index + 1).trim());
  }
  return undefined;
}

/** The `Set-Cookie` value that stores the token for this browser session. */
export function sessionCookie(token: string): string {
  return `${SESSION_COOKIE}=${encodeURIComponent(token)}; HttpOnly; SameSite=Strict; Path=/`;
}

export type Verdict =
  | { readonly allowed: true; readonly viaQuery: boolean }
  | { readonly allowed: false; readonly status: 401 | 403; readonly reason: string };

export interface RequestFacts {
  readonly host: string | undefined;
  readonly origin?: string | undefined;
  readonly cookie: string | undefined;
  /** The request target, e.g. `/bridge?token=...`. */
  readonly url: string;
}

/**
 * Decides one request. `upgrade` marks a WebSocket handshake, which also needs our `Origin`.
 */
export function authorize(
  facts: RequestFacts,
  options: { readonly port: number; readonly token: string; readonly upgrade: boolean },
): Verdict {
  if (!isAllowedHost(facts.host, options.port)) {
    return { allowed: false, status: 403, reason: `Host "${facts.host ?? ''}" is not allowed` };
  }
  if (options.upgrade && !isAllowedOrigin(facts.origin, options.port)) {
    return { allowed: false, status: 403, reason: `Origin "${facts.origin ?? ''}" is not allowed` };
  }
  const query = new URL(facts.url, 'http://localhost').searchParams.get('token');
  if (tokenMatches(query, options.token)) return { allowed: true, viaQuery: true };
  if (tokenMatches(readCookie(facts.cookie, SESSION_COOKIE), options.token)) {
    return { allowed: true, viaQuery: false };
  }
  return { allowed: false, status: 401, reason: 'missing or wrong access token' };
}
