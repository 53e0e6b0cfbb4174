/**
 * Table conversion (k8s.io/apiserver/pkg/endpoints/handlers/response.go `asTable`): rows carry a
 * `PartialObjectMetadata` by default, the whole object with `includeObject=Object`, nothing with
 * `includeObject=None`. A single object is a one-row table.
 */
import type { KubeObject } from '../../kube/objects';
import { errors } from '../../kube/status';
import {
  isSince,
  printerFor,
  renderCell,
  type ColumnDefinition,
  type Printer,
  type Since,
} from '../printers';
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
    text += `{"cells":${cellsJson(printer, object, options.now)},"object":${rowObjectJson(object, options)}}`;
  }
  return new RawJson(`${text}]}`);
}

/**
 * A row's cells as JSON text pieces, durations left to render: what a printer makes of an object
 * depends only on the object and, through its Since cells, on the time of the request.
 */
type CellPieces = ReadonlyArray<string | Since>;

/**
 * The pieces of stored objects' rows, by object and printer: stored objects are frozen, so they
 * stay right, and listing thousands of unchanged objects renders only their ages.
 */
const rowPieces = new WeakMap<KubeObject, { printer: Printer; pieces: CellPieces }>();

function piecesOf(printer: Printer, object: KubeObject): CellPieces {
  const cached = rowPieces.get(object);
  if (cached?.printer === printer) return cached.pieces;
  const pieces: Array<string | Since> = [];
  let run = '[';
  printer.cells(object).forEach((cell, i) => {
    if (i > 0) run += ',';
    if (isSince(cell)) {
      pieces.push(run, cell);
      run = '';
    } else run += JSON.stringify(cell);
  });
  pieces.push(`${run}]`);
  if (Object.isFrozen(object)) rowPieces.set(object, { printer, pieces });
  return pieces;
}

function cellsJson(printer: Printer, object: KubeObject, now: number): string {
  let text = '';
  for (const piece of piecesOf(printer, object)) {
    text += typeof piece === 'string' ? piece : JSON.stringify(renderCell(piece, now));
  }
  return text;
}
