/**
 * Discovery, built from the resource table: aggregated discovery (apidiscovery.k8s.io v2 and
 * v2beta1) on `/api` and `/apis`, which is all kubectl 1.30+ asks for, and the legacy documents
 * (`APIVersions`, `APIGroupList`, `APIGroup`, `APIResourceList`) that `kubectl drain` and older
 * clients read. Bodies are computed once; ETags are upper-case SHA-512 hex, as upstream's.
 */
import { createHash } from 'node:crypto';
import { apiVersionOf, RESOURCES, servedGroups, type ResourceType } from '../../kube/resources';

export interface Document {
  readonly body: string;
  readonly etag: string;
}

function document(value: unknown, hashOf: unknown = value): Document {
  const body = JSON.stringify(value);
  return {
    body,
    etag: `"${createHash('sha512').update(JSON.stringify(hashOf)).digest('hex').toUpperCase()}"`,
  };
}

function aggregatedResource(type: ResourceType): Record<string, unknown> {
  return {
    resource: type.plural,
    responseKind: { group: type.group, version: type.version, kind: type.kind },
    scope: type.namespaced ? 'Namespaced' : 'Cluster',
    singularResource: type.singular,
    verbs: type.verbs,
    ...(type.shortNames.length ? { shortNames: type.shortNames } : {}),
    ...(type.categories.length ? { categories: type.categories } : {}),
    ...(type.subresources.length
      ? {
          subresources: type.subresources.map((s) => ({
            subresource: s.name,
            responseKind: { group: s.group, version: s.version, kind: s.kind },
            verbs: s.verbs,
          })),
        }
      : {}),
  };
}

function aggregatedGroup(
  group: string,
  versions: readonly string[],
  resources: readonly ResourceType[],
): Record<string, unknown> {
  return {
    metadata: group ? { name: group, creationTimestamp: null } : { creationTimestamp: null },
    versions: versions.map((version) => ({
      version,
      resources: resources
        .filter((r) => r.group === group && r.version === version)
        .map(aggregatedResource),
      freshness: 'Current',
    })),
  };
}

export interface Discovery {
  /** Aggregated `/api` or `/apis` for discovery v2 or v2beta1. */
  aggregated(path: '/api' | '/apis', version: 'v2' | 'v2beta1'): Document;
  legacyApi(serverAddress: string): Document;
  legacyApis(): Document;
  group(group: string): Document | undefined;
  resourceList(group: string, version: string): Document | undefined;
}

/** The legacy `APIResourceList` entries: one per resource and one per subresource. */
function apiResources(resources: readonly ResourceType[]): unknown[] {
  const out: unknown[] = [];
  for (const type of resources) {
    out.push({
      name: type.plural,
      singularName: type.singular,
      namespaced: type.namespaced,
      kind: type.kind,
      verbs: type.verbs,
      ...(type.shortNames.length ? { shortNames: type.shortNames } : {}),
      ...(type.categories.length ? { categories: type.categories } : {}),
      storageVersionHash: createHash('sha256')
        .update(`${type.group}/${type.version}/${type.kind}`)
        .digest()
        .subarray(0, 8)
        .toString('base64'),
    });
    for (const sub of type.subresources) {
      out.push({
        name: `${type.plural}/${sub.name}`,
        singularName: '',
        namespaced: type.namespaced,
        ...(sub.group !== type.group || sub.version !== type.version
          ? { group: sub.group, version: sub.version }
          : {}),
        kind: sub.kind,
        verbs: sub.verbs,
      });
    }
  }
  return out;
}

export function createDiscovery(resources: readonly ResourceType[] = RESOURCES): Discovery {
  const groups = servedGroups();
  const core = groups.find((g) => g.group === '')!;
  const named = groups.filter((g) => g.group !== '');
  const cache = new Map<string, Document>();
  const cached = (key: string, build: () => Document): Document => {
    let doc = cache.get(key);
    if (!doc) {
      doc = build();
      cache.set(key, doc);
    }
    return doc;
  };
  const list = (path: '/api' | '/apis'): unknown[] =>
    path === '/api'
      ? [aggregatedGroup('', core.versions, resources)]
      : named.map((g) => aggregatedGroup(g.group, g.versions, resources));

  return {
    aggregated(path, version) {
      return cached(`${path}:${version}`, () => {
        const items = list(path);
        const body = {
          kind: 'APIGroupDiscoveryList',
          apiVersion: `apidiscovery.k8s.io/${version}`,
          metadata: {},
          items,
        };
        // Upstream hashes the v2 form for every version it serves (the Vary header separates them).
        return document(body, {
          kind: 'APIGroupDiscoveryList',
          apiVersion: 'apidiscovery.k8s.io/v2',
          metadata: {},
          items,
        });
      });
    },
    legacyApi(serverAddress) {
      return document({
        kind: 'APIVersions',
        versions: core.versions,
        serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress }],
      });
    },
    legacyApis() {
      return cached('legacy-apis', () =>
        document({
          kind: 'APIGroupList',
          apiVersion: 'v1',
          groups: named.map((g) => ({
            name: g.group,
            versions: g.versions.map((v) => ({ groupVersion: `${g.group}/${v}`, version: v })),
            preferredVersion: {
              groupVersion: `${g.group}/${g.versions[0]}`,
              version: g.versions[0],
            },
          })),
        }),
      );
    },
    group(group) {
      const entry = named.find((g) => g.group === group);
      if (!entry) return undefined;
      return cached(`group:${group}`, () =>
        document({
          kind: 'APIGroup',
          apiVersion: 'v1',
          name: group,
          versions: entry.versions.map((v) => ({ groupVersion: `${group}/${v}`, version: v })),
          preferredVersion: {
            groupVersion: `${group}/${entry.versions[0]}`,
            version: entry.versions[0],
          },
        }),
      );
    },
    resourceList(group, version) {
      const inGv = resources.filter((r) => r.group === group && r.version === version);
      if (inGv.length === 0) return undefined;
      return cached(`resources:${group}/${version}`, () =>
        document({
          kind: 'APIResourceList',
          apiVersion: 'v1',
          groupVersion: apiVersionOf({ group, version }),
          resources: apiResources(inGv),
        }),
      );
    },
  };
}
