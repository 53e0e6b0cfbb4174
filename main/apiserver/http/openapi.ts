/**
 * OpenAPI v3 (`/openapi/v3` and one document per group-version), generated from the resource
 * table and the schemas. kubectl 1.29+ reads it for `apply` (a PATCH operation that lists
 * `fieldValidation` makes it send `fieldValidation=Strict` and leave validation to the server;
 * the inline PATCH request body lets it compute strategic merge patches) and for `explain`.
 */
import { createHash } from 'node:crypto';
import { SCHEMAS, refName, type Schema } from '../../kube/schema';
import { KUBERNETES_VERSION } from '../../kube/version';
import { RESOURCES, type ResourceType, type Subresource } from '../../kube/resources';

const META = 'io.k8s.apimachinery.pkg.apis.meta.v1';
const ref = (name: string): Schema => ({ $ref: `#/components/schemas/${name}` });

interface Parameter {
  readonly name: string;
  readonly in: 'query' | 'path';
  readonly description: string;
  readonly required?: boolean;
  readonly schema: { type: string; uniqueItems: true };
}

function query(name: string, type: string, description: string): Parameter {
  return { name, in: 'query', description, schema: { type, uniqueItems: true } };
}

function path(name: string, description: string): Parameter {
  return {
    name,
    in: 'path',
    description,
    required: true,
    schema: { type: 'string', uniqueItems: true },
  };
}

const P = {
  pretty: query(
    'pretty',
    'string',
    "If 'true', then the output is pretty printed. Defaults to 'false' unless the user-agent indicates a browser or command-line HTTP tool (curl and wget).",
  ),
  dryRun: query(
    'dryRun',
    'string',
    'When present, indicates that modifications should not be persisted. An invalid or unrecognized dryRun directive will result in an error response and no further processing of the request. Valid values are: - All: all dry run stages will be processed',
  ),
  fieldManager: query(
    'fieldManager',
    'string',
    'fieldManager is a name associated with the actor or entity that is making these changes. The value must be less than or 128 characters long, and only contain printable characters, as defined by https://golang.org/pkg/unicode/#IsPrint.',
  ),
  fieldValidation: query(
    'fieldValidation',
    'string',
    'fieldValidation instructs the server on how to handle objects in the request (POST/PUT/PATCH) containing unknown or duplicate fields. Valid values are: - Ignore: This will ignore any unknown fields that are silently dropped from the object, and will ignore all but the last duplicate field that the decoder encounters. This is the default behavior prior to v1.23. - Warn: This will send a warning via the standard warning response header for each unknown field that is dropped from the object, and for each duplicate field that is encountered. The request will still succeed if there are no other errors, and will only persist the last of any duplicate fields. This is the default in v1.23+ - Strict: This will fail the request with a BadRequest error if any unknown fields would be dropped from the object, or if any duplicate fields are present. The error returned from the server will contain all unknown and duplicate fields encountered.',
  ),
  force: query(
    'force',
    'boolean',
    'Force is going to "force" Apply requests. It means user will re-acquire conflicting fields owned by other people. Force flag must be unset for non-apply patch requests.',
  ),
  gracePeriodSeconds: query(
    'gracePeriodSeconds',
    'integer',
    'The duration in seconds before the object should be deleted. Value must be non-negative integer. The value zero indicates delete immediately. If this value is nil, the default grace period for the specified type will be used. Defaults to a per object value if not specified. zero means delete immediately.',
  ),
  propagationPolicy: query(
    'propagationPolicy',
    'string',
    "Whether and how garbage collection will be performed. Either this field or OrphanDependents may be set, but not both. The default policy is decided by the existing finalizer set in the metadata.finalizers and the resource-specific default policy. Acceptable values are: 'Orphan' - orphan the dependents; 'Background' - allow the garbage collector to delete the dependents in the background; 'Foreground' - a cascading policy that deletes all dependents in the foreground.",
  ),
  orphanDependents: query(
    'orphanDependents',
    'boolean',
    'Deprecated: please use the PropagationPolicy, this field will be deprecated in 1.7. Should the dependent objects be orphaned. If true/false, the "orphan" finalizer will be added to/removed from the object\'s finalizers list. Either this field or PropagationPolicy may be set, but not both.',
  ),
  labelSelector: query(
    'labelSelector',
    'string',
    'A selector to restrict the list of returned objects by their labels. Defaults to everything.',
  ),
  fieldSelector: query(
    'fieldSelector',
    'string',
    'A selector to restrict the list of returned objects by their fields. Defaults to everything.',
  ),
  limit: query(
    'limit',
    'integer',
    'limit is a maximum number of responses to return for a list call.',
  ),
  continue: query(
    'continue',
    'string',
    'The continue option should be set when retrieving more results from the server.',
  ),
  resourceVersion: query(
    'resourceVersion',
    'string',
    'resourceVersion sets a constraint on what resource versions a request may be served from.',
  ),
  resourceVersionMatch: query(
    'resourceVersionMatch',
    'string',
    'resourceVersionMatch determines how resourceVersion is applied to list calls.',
  ),
  timeoutSeconds: query(
    'timeoutSeconds',
    'integer',
    'Timeout for the list/watch call. This limits the duration of the call, regardless of any activity or inactivity.',
  ),
  watch: query(
    'watch',
    'boolean',
    'Watch for changes to the described resources and return them as a stream of add, update, and remove notifications. Specify resourceVersion.',
  ),
  allowWatchBookmarks: query(
    'allowWatchBookmarks',
    'boolean',
    'allowWatchBookmarks requests watch events with type "BOOKMARK". Servers that do not implement bookmarks may ignore this flag and bookmarks are sent at the server\'s discretion.',
  ),
  name: (kind: string) => path('name', `name of the ${kind}`),
  namespace: path('namespace', 'object name and auth scope, such as for teams and projects'),
};

const LIST_PARAMS = [
  P.allowWatchBookmarks,
  P.continue,
  P.fieldSelector,
  P.labelSelector,
  P.limit,
  P.resourceVersion,
  P.resourceVersionMatch,
  P.timeoutSeconds,
  P.watch,
];

function groupCamel(group: string): string {
  if (!group) return 'Core';
  const first = group.split('.')[0]!;
  return first.charAt(0).toUpperCase() + first.slice(1);
}

function responses(schema: Schema, codes: readonly string[]): Record<string, unknown> {
  const text: Record<string, string> = {
    '200': 'OK',
    '201': 'Created',
    '202': 'Accepted',
    '401': 'Unauthorized',
  };
  const out: Record<string, unknown> = {};
  for (const code of codes) {
    out[code] =
      code === '401'
        ? { description: text[code] }
        : {
            description: text[code],
            content: {
              'application/json': { schema },
              'application/yaml': { schema },
              'application/vnd.kubernetes.protobuf': { schema },
            },
          };
  }
  return out;
}

function operation(
  type: ResourceType,
  action: string,
  operationId: string,
  description: string,
  parameters: Parameter[],
  responseSchema: Schema,
  codes: readonly string[],
  requestBody?: unknown,
  kind?: { group: string; version: string; kind: string },
): Record<string, unknown> {
  return {
    tags: [`${groupCamel(type.group).toLowerCase()}_${type.version}`],
    description,
    operationId,
    ...(parameters.length ? { parameters } : {}),
    ...(requestBody ? { requestBody } : {}),
    responses: responses(responseSchema, codes),
    'x-kubernetes-action': action,
    'x-kubernetes-group-version-kind': kind ?? {
      group: type.group,
      version: type.version,
      kind: type.kind,
    },
  };
}

const body = (schema: Schema): unknown => ({ content: { '*/*': { schema } }, required: true });
const patchBody = {
  content: {
    'application/apply-patch+yaml': { schema: ref(`${META}.Patch`) },
    'application/json-patch+json': { schema: ref(`${META}.Patch`) },
    'application/merge-patch+json': { schema: ref(`${META}.Patch`) },
    'application/strategic-merge-patch+json': { schema: ref(`${META}.Patch`) },
  },
  required: true,
};

function subresourcePaths(
  type: ResourceType,
  sub: Subresource,
  base: string,
  scope: string,
  paths: Record<string, unknown>,
): void {
  if (sub.name !== 'status' && sub.name !== 'scale') return;
  const schemaName = sub.name === 'scale' ? 'io.k8s.api.autoscaling.v1.Scale' : type.schema;
  const kind = { group: sub.group, version: sub.version, kind: sub.kind };
  const suffix = `${scope}${type.kind}${sub.name === 'scale' ? 'Scale' : 'Status'}`;
  const gv = `${groupCamel(type.group)}${type.version.charAt(0).toUpperCase()}${type.version.slice(1)}`;
  paths[`${base}/{name}/${sub.name}`] = {
    get: operation(
      type,
      'get',
      `read${gv}${suffix}`,
      `read ${sub.name} of the specified ${type.kind}`,
      [],
      ref(schemaName),
      ['200', '401'],
      undefined,
      kind,
    ),
    put: operation(
      type,
      'put',
      `replace${gv}${suffix}`,
      `replace ${sub.name} of the specified ${type.kind}`,
      [P.dryRun, P.fieldManager, P.fieldValidation],
      ref(schemaName),
      ['200', '201', '401'],
      body(ref(schemaName)),
      kind,
    ),
    patch: operation(
      type,
      'patch',
      `patch${gv}${suffix}`,
      `partially update ${sub.name} of the specified ${type.kind}`,
      [P.dryRun, P.fieldManager, P.fieldValidation, P.force],
      ref(schemaName),
      ['200', '201', '401'],
      patchBody,
      kind,
    ),
    parameters: [P.name(type.kind), ...(type.namespaced ? [P.namespace] : []), P.pretty],
  };
}

function pathsFor(type: ResourceType, paths: Record<string, unknown>): void {
  const root = type.group ? `/apis/${type.group}/${type.version}` : `/api/${type.version}`;
  const gv = `${groupCamel(type.group)}${type.version.charAt(0).toUpperCase()}${type.version.slice(1)}`;
  const scope = type.namespaced ? 'Namespaced' : '';
  const collection = type.namespaced
    ? `${root}/namespaces/{namespace}/${type.plural}`
    : `${root}/${type.plural}`;
  const list = `${type.schema}List`;
  const has = (verb: string): boolean => (type.verbs as readonly string[]).includes(verb);
  const collectionOps: Record<string, unknown> = {};
  if (has('list'))
    collectionOps.get = operation(
      type,
      'list',
      `list${gv}${scope}${type.kind}`,
      `list or watch objects of kind ${type.kind}`,
      LIST_PARAMS,
      ref(list),
      ['200', '401'],
    );
  if (has('create'))
    collectionOps.post = operation(
      type,
      'post',
      `create${gv}${scope}${type.kind}`,
      `create a ${type.kind}`,
      [P.dryRun, P.fieldManager, P.fieldValidation],
      ref(type.schema),
      ['200', '201', '202', '401'],
      body(ref(type.schema)),
    );
  if (has('deletecollection'))
    collectionOps.delete = operation(
      type,
      'deletecollection',
      `delete${gv}Collection${scope}${type.kind}`,
      `delete collection of ${type.kind}`,
      [
        P.continue,
        P.dryRun,
        P.fieldSelector,
        P.gracePeriodSeconds,
        P.labelSelector,
        P.limit,
        P.orphanDependents,
        P.propagationPolicy,
        P.resourceVersion,
        P.resourceVersionMatch,
        P.timeoutSeconds,
      ],
      ref(`${META}.Status`),
      ['200', '401'],
      { content: { '*/*': { schema: ref(`${META}.DeleteOptions`) } } },
    );
  if (Object.keys(collectionOps).length) {
    paths[collection] = {
      ...collectionOps,
      parameters: [...(type.namespaced ? [P.namespace] : []), P.pretty],
    };
  }
  if (type.namespaced && has('list')) {
    paths[`${root}/${type.plural}`] = {
      get: operation(
        type,
        'list',
        `list${gv}${type.kind}ForAllNamespaces`,
        `list or watch objects of kind ${type.kind}`,
        [],
        ref(list),
        ['200', '401'],
      ),
      parameters: [...LIST_PARAMS, P.pretty],
    };
  }
  const itemOps: Record<string, unknown> = {};
  if (has('get'))
    itemOps.get = operation(
      type,
      'get',
      `read${gv}${scope}${type.kind}`,
      `read the specified ${type.kind}`,
      [],
      ref(type.schema),
      ['200', '401'],
    );
  if (has('update'))
    itemOps.put = operation(
      type,
      'put',
      `replace${gv}${scope}${type.kind}`,
      `replace the specified ${type.kind}`,
      [P.dryRun, P.fieldManager, P.fieldValidation],
      ref(type.schema),
      ['200', '201', '401'],
      body(ref(type.schema)),
    );
  if (has('patch'))
    itemOps.patch = operation(
      type,
      'patch',
      `patch${gv}${scope}${type.kind}`,
      `partially update the specified ${type.kind}`,
      [P.dryRun, P.fieldManager, P.fieldValidation, P.force],
      ref(type.schema),
      ['200', '201', '401'],
      patchBody,
    );
  if (has('delete'))
    itemOps.delete = operation(
      type,
      'delete',
      `delete${gv}${scope}${type.kind}`,
      `delete a ${type.kind}`,
      [P.dryRun, P.gracePeriodSeconds, P.orphanDependents, P.propagationPolicy],
      ref(`${META}.Status`),
      ['200', '202', '401'],
      { content: { '*/*': { schema: ref(`${META}.DeleteOptions`) } } },
    );
  if (Object.keys(itemOps).length) {
    paths[`${collection}/{name}`] = {
      ...itemOps,
      parameters: [P.name(type.kind), ...(type.namespaced ? [P.namespace] : []), P.pretty],
    };
  }
  for (const sub of type.subresources) subresourcePaths(type, sub, collection, scope, paths);
}

/** The schemas a set of roots refers to, transitively. */
function closure(roots: readonly string[]): Record<string, Schema> {
  const out: Record<string, Schema> = {};
  const stack = [...roots];
  while (stack.length) {
    const name = stack.pop()!;
    if (out[name] || !SCHEMAS[name]) continue;
    const schema = SCHEMAS[name];
    out[name] = schema;
    const visit = (value: unknown): void => {
      if (Array.isArray(value)) value.forEach(visit);
      else if (value && typeof value === 'object') {
        const target = refName(value as Schema);
        if (target && !out[target]) stack.push(target);
        for (const child of Object.values(value)) visit(child);
      }
    };
    visit(schema);
  }
  return Object.fromEntries(Object.entries(out).sort(([a], [b]) => a.localeCompare(b)));
}

export interface OpenApiDocument {
  readonly body: string;
  readonly hash: string;
}

export interface OpenApi {
  /** `/openapi/v3`: the group-versions and where their documents are. */
  root(): string;
  /** A group-version document, by path key (`api/v1`, `apis/apps/v1`). */
  document(key: string): OpenApiDocument | undefined;
}

export function createOpenApi(resources: readonly ResourceType[] = RESOURCES): OpenApi {
  const byKey = new Map<string, ResourceType[]>();
  for (const type of resources) {
    const key = type.group ? `apis/${type.group}/${type.version}` : `api/${type.version}`;
    byKey.set(key, [...(byKey.get(key) ?? []), type]);
  }
  const documents = new Map<string, OpenApiDocument>();
  const build = (key: string): OpenApiDocument | undefined => {
    const types = byKey.get(key);
    if (!types) return undefined;
    let doc = documents.get(key);
    if (doc) return doc;
    const paths: Record<string, unknown> = {};
    const roots = [
      `${META}.Status`,
      `${META}.DeleteOptions`,
      `${META}.Patch`,
      `${META}.APIResourceList`,
    ];
    for (const type of types) {
      pathsFor(type, paths);
      roots.push(type.schema, `${type.schema}List`);
      if (type.subresources.some((s) => s.name === 'scale'))
        roots.push('io.k8s.api.autoscaling.v1.Scale');
    }
    const value = {
      openapi: '3.0.0',
      info: { title: 'Kubernetes', version: KUBERNETES_VERSION.gitVersion },
      paths,
      components: {
        schemas: closure(roots),
        securitySchemes: {
          BearerToken: {
            type: 'apiKey',
            description: 'Bearer Token authentication',
            name: 'authorization',
            in: 'header',
          },
        },
      },
    };
    const body = JSON.stringify(value);
    doc = { body, hash: createHash('sha512').update(body).digest('hex').toUpperCase() };
    documents.set(key, doc);
    return doc;
  };
  let rootBody: string | undefined;
  return {
    root() {
      rootBody ??= JSON.stringify({
        paths: Object.fromEntries(
          [...byKey.keys()].map((key) => [
            key,
            { serverRelativeURL: `/openapi/v3/${key}?hash=${build(key)!.hash}` },
          ]),
        ),
      });
      return rootBody;
    },
    document: build,
  };
}
