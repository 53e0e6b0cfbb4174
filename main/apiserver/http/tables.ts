/**
 * Table conversion (k8s.io/apiserver/pkg/endpoints/handlers/response.go `asTable`): rows carry a
 * `PartialObjectMetadata` by default, the whole object with `includeObject=Object`, nothing with
 * `includeObject=None`. A single object is a one-row table.
 */
import type { KubeObject } from '../../kube/objects';
import { errors } from '../../kube/status';
import { printerFor, type ColumnDefinition } from '../printers';
import { RawJson, type ObjectJson } from './json-cache';

export type IncludeObject = 'Metadata' | 'Object' | 'None';

export function parseIncludeObject(value: string | null): IncludeObject {
  if (value === null || value === '' || value === 'Metadata') return 'Metadata';
  if (value === 'Object' || value === 'None') return value;
  throw errors.badRequest(`unrecognized includeObject value: ${JSON.stringify(value)}`);
}

export interface TableOptions {
  readonly version: 'v1' | 'v1beta1';
  readonly include: IncludeObject;
  readonly noHeaders: boolean;
  readonly now: number;
  /** Serializes row objects as clients see them. */
  readonly json: ObjectJson;
}

export interface Table {
  kind: 'Table';
  apiVersion: string;
  metadata: { resourceVersion?: string; continue?: string; remainingItemCount?: number };
  columnDefinitions: readonly ColumnDefinition[] | null;
  rows: Array<{ cells: unknown[]; object: unknown }>;
}

function rowObjectJson(object: KubeObject, options: TableOptions): string {
  switch (options.include) {
    case 'None':
      return 'null';
    case 'Object':
      return options.json.json(object);
    case 'Metadata':
      return `{"kind":"PartialObjectMetadata","apiVersion":"meta.k8s.io/${options.version}","metadata":${options.json.metadataJson(object)}}`;
  }
}

/**
 * The same Table as `toTable`, serialized: row objects come from the JSON cache, so listing
 * thousands of unchanged objects costs little more than copying their bytes.
 */
export function toTableJson(
  bucket: string,
  objects: readonly KubeObject[],
  metadata: Table['metadata'],
  options: TableOptions,
): RawJson {
  const printer = printerFor(bucket);
  let text = `{"kind":"Table","apiVersion":"meta.k8s.io/${options.version}","metadata":${JSON.stringify(metadata)},"columnDefinitions":${options.noHeaders ? 'null' : JSON.stringify(printer.columns)},"rows":[`;
  for (let i = 0; i < objects.length; i++) {
    const object = objects[i]!;
    if (i > 0) text += ',';
    text += `{"cells":${JSON.stringify(printer.cells(object, options.now))},"object":${rowObjectJson(object, options)}}`;
  }
  return new RawJson(`${text}]}`);
}
