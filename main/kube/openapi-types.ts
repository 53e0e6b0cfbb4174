/**
 * The shape of the generated Kubernetes schemas (OpenAPI 3.0 schema objects with the apiserver's
 * `x-kubernetes-*` extensions), as scripts/openapi/generate.mjs writes them.
 */
export interface GroupVersionKind {
  readonly group: string;
  readonly version: string;
  readonly kind: string;
}

export interface Schema {
  readonly description?: string;
  readonly type?: 'object' | 'array' | 'string' | 'integer' | 'number' | 'boolean';
  readonly format?: string;
  readonly properties?: Readonly<Record<string, Schema>>;
  readonly additionalProperties?: Schema | boolean;
  readonly items?: Schema;
  readonly required?: readonly string[];
  readonly allOf?: readonly Schema[];
  readonly oneOf?: readonly Schema[];
  readonly $ref?: string;
  readonly default?: unknown;
  readonly enum?: readonly unknown[];
  readonly 'x-kubernetes-group-version-kind'?: readonly GroupVersionKind[];
  readonly 'x-kubernetes-patch-strategy'?: string;
  readonly 'x-kubernetes-patch-merge-key'?: string;
  readonly 'x-kubernetes-list-type'?: 'atomic' | 'set' | 'map';
  readonly 'x-kubernetes-list-map-keys'?: readonly string[];
  readonly 'x-kubernetes-int-or-string'?: boolean;
}

export interface SchemaDocument {
  /** Where the schemas come from, e.g. `kubernetes-types@1.30.0`. */
  readonly source: string;
  readonly schemas: Readonly<Record<string, Schema>>;
}
