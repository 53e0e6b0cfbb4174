/**
 * Accept and Content-Type parsing: media types with their parameters, the way kube-apiserver
 * negotiates Tables (`as=Table;g=meta.k8s.io;v=v1`) and aggregated discovery
 * (`as=APIGroupDiscoveryList;g=apidiscovery.k8s.io;v=v2`).
 */
export interface MediaType {
  readonly type: string;
  readonly params: Readonly<Record<string, string>>;
}

export function parseMediaType(text: string): MediaType {
  const [type, ...params] = text.split(';');
  const parsed: Record<string, string> = {};
  for (const param of params) {
    const index = param.indexOf('=');
    if (index < 0) continue;
    parsed[param.slice(0, index).trim().toLowerCase()] = param
      .slice(index + 1)
      .trim()
      .replace(/^"|"$/g, '');
  }
  return { type: (type ?? '').trim().toLowerCase(), params: parsed };
}

/** The Accept header's media types, in the client's order. */
export function parseAccept(header: string | undefined): MediaType[] {
  if (!header) return [];
  return header
    .split(',')
    .map((part) => part.trim())
    .filter(Boolean)
    .map(parseMediaType);
}

function isJsonish(type: string): boolean {
  return type === 'application/json' || type === '*/*' || type === 'application/*';
}

/** The Table version asked for, if the client prefers a Table to the object itself. */
export function wantsTable(accept: readonly MediaType[]): 'v1' | 'v1beta1' | undefined {
  for (const media of accept) {
    if (media.params.as === 'Table' && media.params.g === 'meta.k8s.io' && isJsonish(media.type)) {
      if (media.params.v === 'v1' || media.params.v === 'v1beta1') return media.params.v;
    }
    if (
      !media.params.as &&
      (isJsonish(media.type) ||
        media.type === 'application/yaml' ||
        media.type.includes('protobuf'))
    ) {
      return undefined;
    }
  }
  return undefined;
}

/** The aggregated discovery version asked for, if any. */
export function wantsAggregatedDiscovery(
  accept: readonly MediaType[],
): 'v2' | 'v2beta1' | undefined {
  for (const media of accept) {
    if (
      media.params.as === 'APIGroupDiscoveryList' &&
      media.params.g === 'apidiscovery.k8s.io' &&
      isJsonish(media.type)
    ) {
      if (media.params.v === 'v2' || media.params.v === 'v2beta1') return media.params.v;
    }
    if (!media.params.as && isJsonish(media.type)) return undefined;
  }
  return undefined;
}

/** True when the client accepts YAML before JSON. */
export function prefersYaml(accept: readonly MediaType[]): boolean {
  for (const media of accept) {
    if (media.type === 'application/yaml' && !media.params.as) return true;
    if (isJsonish(media.type) && !media.params.as) return false;
  }
  return false;
}

/** True when the client accepts something we can send (JSON or YAML; everyone offers JSON). */
export function acceptable(accept: readonly MediaType[]): boolean {
  if (accept.length === 0) return true;
  return accept.some(
    (m) =>
      isJsonish(m.type) ||
      m.type === 'application/yaml' ||
      m.type === 'application/vnd.kubernetes.protobuf',
  );
}
