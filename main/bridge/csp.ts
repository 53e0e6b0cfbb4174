/**
 * The Content-Security-Policy of the renderer, in Electron and in browser mode alike: our own
 * scripts only, no inline script, no plug-ins, no framing, and network access only to main.
 * Monaco needs `blob:` workers and inline styles (see research/toolchain.md §2).
 */
export function contentSecurityPolicy(
  options: { readonly connect?: readonly string[] } = {},
): string {
  const connect = ["'self'", ...(options.connect ?? [])].join(' ');
  return [
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self' 'unsafe-inline'",
    "worker-src 'self' blob:",
    "font-src 'self' data:",
    "img-src 'self' data:",
    `connect-src ${connect}`,
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
  ].join('; ');
}
