/**
 * Table conversion (k8s.io/apiserver/pkg/endpoints/handlers/response.go `asTable`): rows carry a
 * `PartialObjectMetadata` by default, the whole object with `includeObject=Object`, nothing with
 * `includeObject=None`. A single object is a one-row table.
 */
import type { KubeObject } from '../../kube/objects';
import { errors } from '../../kube/status';
import { printerFor, type ColumnDefinition } from '../printers';

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
}

export interface Table {
  kind: 'Table';
  apiVersion: string;
  metadata: { resourceVersion?: string; continue?: string; remainingItemCount?: number };
  columnDefinitions: readonly ColumnDefinition[] | null;
  rows: Array<{ cells: unknown[]; object: unknown }>;
}

function rowObject(object: KubeObject, options: TableOptions): unknown {
  switch (options.include) {
    case 'None':
      return null;
    case 'Object':
      return object;
    case 'Metadata':
      return {
        kind: 'PartialObjectMetadata',
        apiVersion: `meta.k8s.io/${options.version}`,
        metadata: object.metadata,
      };
  }
}

export function toTable(
  bucket: string,
  objects: readonly KubeObject[],
  metadata: Table['metadata'],
  options: TableOptions,
): Table {
  const printer = printerFor(bucket);
  return {
    kind: 'Table',
    apiVersion: `meta.k8s.io/${options.version}`,
    metadata,
    columnDefinitions: options.noHeaders ? null : printer.columns,
    rows: objects.map((object) => ({
      cells: printer.cells(object, options.now),
      object: rowObject(object, options),
    })),
  };
}
