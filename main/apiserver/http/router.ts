/**
 * URL routing of the Kubernetes API: `/api/v1/...` and `/apis/<group>/<version>/...`, namespaced
 * and cluster-scoped resources, names, subresources and the deprecated `/watch/` prefix.
 */
import { findResource, type ResourceType } from '../../kube/resources';

export type Route =
  | { readonly kind: 'version' }
  | { readonly kind: 'health'; readonly check: string }
  | { readonly kind: 'api' }
  | { readonly kind: 'apis' }
  | { readonly kind: 'group'; readonly group: string }
  | { readonly kind: 'groupVersion'; readonly group: string; readonly version: string }
  | { readonly kind: 'openapiRoot' }
  | { readonly kind: 'openapiDocument'; readonly key: string }
  | { readonly kind: 'openapiV2' }
  | { readonly kind: 'crdList' }
  | {
      readonly kind: 'resource';
      readonly type: ResourceType;
      /** The namespace in the URL ('' for all namespaces or cluster-scoped). */
      readonly namespace: string;
      readonly name: string | undefined;
      readonly subresource: string | undefined;
      /** The deprecated `/watch/` path form. */
      readonly watchPath: boolean;
    }
  | { readonly kind: 'notFound' };

const notFound: Route = { kind: 'notFound' };

export function route(pathname: string): Route {
  const clean = pathname.replace(/\/+$/, '') || '/';
  if (clean === '/version') return { kind: 'version' };
  if (/^\/(healthz|livez|readyz)(\/.*)?$/.test(clean))
    return { kind: 'health', check: clean.slice(1) };
  if (clean === '/api') return { kind: 'api' };
  if (clean === '/apis') return { kind: 'apis' };
  if (clean === '/openapi/v3') return { kind: 'openapiRoot' };
  if (clean === '/openapi/v2') return { kind: 'openapiV2' };
  // Only the list kubectl's validation asks for (server.ts says why); not a served resource.
  if (clean === '/apis/apiextensions.k8s.io/v1/customresourcedefinitions') {
    return { kind: 'crdList' };
  }
  if (clean.startsWith('/openapi/v3/'))
    return { kind: 'openapiDocument', key: clean.slice('/openapi/v3/'.length) };
  let segments: string[];
  try {
    segments = clean.split('/').slice(1).map(decodeURIComponent);
  } catch {
    return notFound;
  }
  let group: string;
  let version: string;
  let rest: string[];
  if (segments[0] === 'api') {
    if (segments.length < 2) return notFound;
    group = '';
    version = segments[1]!;
    rest = segments.slice(2);
  } else if (segments[0] === 'apis') {
    if (segments.length === 2) return { kind: 'group', group: segments[1]! };
    if (segments.length < 3) return notFound;
    group = segments[1]!;
    version = segments[2]!;
    rest = segments.slice(3);
  } else {
    return notFound;
  }
  if (rest.length === 0) return { kind: 'groupVersion', group, version };
  let watchPath = false;
  if (rest[0] === 'watch') {
    watchPath = true;
    rest = rest.slice(1);
  }
  let namespace = '';
  if (rest[0] === 'namespaces' && rest.length >= 3) {
    const namespaced = findResource(group, version, rest[2]!);
    if (namespaced?.namespaced) {
      namespace = rest[1]!;
      rest = rest.slice(2);
    }
  }
  const type = findResource(group, version, rest[0]!);
  if (!type || rest.length > 3) return notFound;
  if (!type.namespaced && namespace) return notFound;
  return { kind: 'resource', type, namespace, name: rest[1], subresource: rest[2], watchPath };
}
