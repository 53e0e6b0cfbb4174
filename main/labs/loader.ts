/**
 * Reads labs from `labs/<id>/lab.yaml`: parses the YAML keeping positions, validates it against
 * the lab schema, reads the manifests it references and parses them, and reports every problem
 * as `labs/<id>/lab.yaml:LINE:COL: message`. A lab is data that may come from anyone (a shared
 * lab pack, a pull request), so it can read only files inside its own folder: no absolute
 * paths, no `..` out of it, no symbolic links on the way.
 */
import { lstat, readdir, readFile, realpath } from 'node:fs/promises';
import { basename, dirname, isAbsolute, join, posix, relative, resolve, sep } from 'node:path';
import { isMap, isScalar, visit, type Document, type Node } from 'yaml';
import { err, ok, type Result } from '../base/result';
import type { KubeObject } from '../kube/objects';
import { findByKind } from '../kube/resources';
import { issueProblems } from './issues';
import {
  LabDocument,
  LabId,
  placeholderProblems,
  workerRoles,
  type Lab,
  type LabOperation,
  type LabStep,
  type Manifest,
  type ManifestSource,
  type Operation,
  type StarterManifest,
} from './schema';
import {
  fileOrigin,
  formatProblem,
  isUnquotedPlaceholder,
  locate,
  offsetOf,
  parseYamlDocument,
  parseYamlDocuments,
  scalarOrigin,
  type LabProblem,
  type Origin,
} from './yaml-source';

export { formatProblem, type LabProblem } from './yaml-source';

/** Larger files are refused: a manifest for a practice lab is a few kilobytes. */
const MAX_FILE_BYTES = 1024 * 1024;

type Path = ReadonlyArray<string | number>;

/** Everything about one lab being loaded. */
interface LabContext {
  readonly id: string;
  readonly dir: string;
  /** A path as reported: relative to the labs folder's parent, with forward slashes. */
  display(path: string): string;
  readonly labText: string;
  readonly labDoc: Document.Parsed;
  readonly labOrigin: Origin;
  readonly embedded: boolean;
  readonly workers: ReadonlySet<string>;
  readonly problems: LabProblem[];
}

function displayer(labsDir: string): (path: string) => string {
  const root = dirname(resolve(labsDir));
  return (path) => relative(root, path).split(sep).join('/');
}

function problemAt(origin: Origin, offset: number, message: string): LabProblem {
  return { file: origin.file, ...origin.position(offset), message };
}

/** A problem at a path of lab.yaml. */
function labProblem(ctx: LabContext, path: Path, message: string): void {
  ctx.problems.push(problemAt(ctx.labOrigin, offsetOf(locate(ctx.labDoc.contents, path)), message));
}

function errorCode(error: unknown): string | undefined {
  return error instanceof Error && 'code' in error && typeof error.code === 'string'
    ? error.code
    : undefined;
}

/**
 * Reads `path` (relative to the lab's folder) if it stays inside the folder: refuses absolute
 * paths, `..` out of the folder, and a symbolic link as the file or any folder on the way to it
 * (a link inside the lab could point anywhere). Answers the text and the normalized path.
 */
export async function readLabFile(
  labDir: string,
  path: string,
): Promise<{ text: string; file: string } | { error: string }> {
  if (path.includes('\\')) {
    return { error: `"${path}": write paths with / so the lab loads the same on every system` };
  }
  if (posix.isAbsolute(path) || isAbsolute(path) || /^[A-Za-z]:/.test(path)) {
    return { error: `"${path}" is an absolute path: give a path relative to the lab's folder` };
  }
  const file = posix.normalize(path);
  if (file === '..' || file.startsWith('../')) {
    return { error: `"${path}" leaves the lab's folder: a lab may read only files inside it` };
  }
  if (file === '.' || file.endsWith('/')) return { error: `"${path}" is a folder, not a file` };
  let current = labDir;
  let isFile = false;
  let size = 0;
  for (const segment of file.split('/')) {
    current = join(current, segment);
    try {
      const stats = await lstat(current);
      if (stats.isSymbolicLink()) {
        const link = relative(labDir, current).split(sep).join('/');
        return {
          error: `"${path}": ${link} is a symbolic link, and a lab may read only files inside its folder`,
        };
      }
      isFile = stats.isFile();
      size = stats.size;
    } catch (error) {
      return errorCode(error) === 'ENOENT' || errorCode(error) === 'ENOTDIR'
        ? { error: `"${path}": no such file in the lab's folder` }
        : { error: `"${path}": ${error instanceof Error ? error.message : String(error)}` };
    }
  }
  if (!isFile) return { error: `"${path}" is not a regular file` };
  if (size > MAX_FILE_BYTES) return { error: `"${path}" is larger than 1 MiB` };
  // Belt and braces: whatever the checks above missed, the file's real path must be inside.
  const [realDir, realFile] = await Promise.all([realpath(labDir), realpath(current)]);
  if (!realFile.startsWith(realDir + sep)) {
    return { error: `"${path}" leaves the lab's folder: a lab may read only files inside it` };
  }
  return { text: await readFile(current, 'utf8'), file };
}

/**
 * Checks what the runner and the solution view rely on in every manifest document: it is a
 * mapping with apiVersion, kind and metadata.name, a kind the embedded cluster serves (when the
 * lab runs there), and well-formed role placeholders.
 */
function checkManifestDocument(
  doc: Document.Parsed,
  text: string,
  origin: Origin,
  ctx: LabContext,
  shape: boolean,
): KubeObject | undefined {
  const problems: LabProblem[] = [];
  visit(doc, {
    Map: (_, node) => {
      if (!isUnquotedPlaceholder(text, node)) return undefined;
      problems.push(
        problemAt(
          origin,
          node.range?.[0] ?? 0,
          "quote role placeholders, or YAML reads them as a mapping: '{{worker1}}'",
        ),
      );
      return visit.SKIP;
    },
    Scalar: (_, node) => {
      if (typeof node.value !== 'string') return;
      for (const message of placeholderProblems(node.value, ctx.workers)) {
        problems.push(problemAt(origin, node.range?.[0] ?? 0, message));
      }
    },
  });
  const root = doc.contents;
  if (shape && root !== null && !(isScalar(root) && root.value === null)) {
    const start = root.range?.[0] ?? 0;
    const needs = 'every manifest document needs apiVersion, kind and metadata.name';
    if (!isMap(root)) {
      problems.push(
        problemAt(origin, start, `a manifest document is an object (a mapping): ${needs}`),
      );
    } else {
      for (const field of [['apiVersion'], ['kind'], ['metadata', 'name']]) {
        const located = locate(root, field);
        const name = field.join('.');
        const value = isScalar(located.node) ? located.node.value : undefined;
        if (!located.node) {
          const at = located.key?.range?.[0] ?? start;
          problems.push(problemAt(origin, at, `missing required field "${name}": ${needs}`));
        } else if (typeof value !== 'string' || value === '') {
          problems.push(
            problemAt(origin, offsetOf(located), `"${name}" must be a non-empty string`),
          );
        }
      }
      const apiVersion = root.get('apiVersion');
      const kind = root.get('kind');
      if (
        ctx.embedded &&
        typeof apiVersion === 'string' &&
        typeof kind === 'string' &&
        !findByKind(apiVersion, kind)
      ) {
        problems.push(
          problemAt(
            origin,
            offsetOf(locate(root, ['kind'])),
            `the embedded cluster does not serve ${kind} in ${apiVersion} (remove embedded from backends to use it)`,
          ),
        );
      }
    }
  }
  ctx.problems.push(...problems);
  if (problems.length || !shape || root === null) return undefined;
  const value: unknown = doc.toJS();
  return isKubeObject(value) ? value : undefined;
}

function isKubeObject(value: unknown): value is KubeObject {
  return (
    typeof value === 'object' &&
    value !== null &&
    'metadata' in value &&
    typeof value.metadata === 'object' &&
    value.metadata !== null
  );
}

/** Reads (for a file) and parses a manifest; `shape` checks each document is an object. */
async function loadManifest(
  source: ManifestSource,
  path: Path,
  ctx: LabContext,
  shape: boolean,
): Promise<Manifest | undefined> {
  let text: string;
  let origin: Origin;
  let file: string | undefined;
  if (typeof source === 'string') {
    text = source;
    const node: Node | undefined = locate(ctx.labDoc.contents, path).node;
    origin = node ? scalarOrigin(ctx.labOrigin, ctx.labText, node) : ctx.labOrigin;
  } else {
    const read = await readLabFile(ctx.dir, source.file);
    if ('error' in read) {
      labProblem(ctx, [...path, 'file'], read.error);
      return undefined;
    }
    text = read.text;
    file = read.file;
    origin = fileOrigin(ctx.display(join(ctx.dir, read.file)), text);
  }
  const parsed = parseYamlDocuments(text, origin);
  if ('problems' in parsed) {
    ctx.problems.push(...parsed.problems);
    return undefined;
  }
  const before = ctx.problems.length;
  const objects = parsed.docs.flatMap((doc) => {
    const object = checkManifestDocument(doc, text, origin, ctx, shape);
    return object ? [object] : [];
  });
  if (shape && objects.length === 0 && ctx.problems.length === before) {
    ctx.problems.push(problemAt(origin, 0, 'the manifest has no objects'));
  }
  return { text, ...(file !== undefined ? { file } : {}), objects };
}

async function loadOperations(
  operations: readonly Operation[],
  path: Path,
  ctx: LabContext,
): Promise<LabOperation[]> {
  const loaded: LabOperation[] = [];
  for (const [i, op] of operations.entries()) {
    if (op.op !== 'apply') {
      loaded.push(op);
      continue;
    }
    const manifest = await loadManifest(op.manifest, [...path, i, 'manifest'], ctx, true);
    if (manifest) loaded.push({ ...op, manifest });
  }
  return loaded;
}

function byPlace(a: LabProblem, b: LabProblem): number {
  if (a.file !== b.file) return a.file < b.file ? -1 : 1;
  return a.line - b.line || a.col - b.col;
}

/**
 * Loads `labsDir/<id>/lab.yaml` and everything it references. Answers the lab, or every problem
 * found (syntax, schema, files, manifests), sorted by place.
 */
export async function loadLab(
  labsDir: string,
  id: string,
): Promise<Result<Lab, readonly LabProblem[]>> {
  const display = displayer(labsDir);
  const dir = resolve(labsDir, id);
  const labFile = join(dir, 'lab.yaml');
  const at1 = (message: string): Result<Lab, readonly LabProblem[]> =>
    err([{ file: display(labFile), line: 1, col: 1, message }]);
  // Ids may come from the renderer: one that is not a folder name must not reach the file system.
  if (!LabId.safeParse(id).success) {
    return err([{ file: display(labFile), line: 1, col: 1, message: `invalid lab id "${id}"` }]);
  }
  let text: string;
  try {
    const stats = await lstat(labFile);
    if (stats.isSymbolicLink()) {
      return at1('lab.yaml is a symbolic link: a lab may read only files inside its folder');
    }
    if (stats.size > MAX_FILE_BYTES) return at1('lab.yaml is larger than 1 MiB');
    text = await readFile(labFile, 'utf8');
  } catch (error) {
    return at1(errorCode(error) === 'ENOENT' ? 'no lab.yaml in the lab folder' : String(error));
  }

  const labOrigin = fileOrigin(display(labFile), text);
  const parsed = parseYamlDocument(text, labOrigin);
  if ('problems' in parsed) return err(parsed.problems);
  let data: unknown;
  try {
    data = parsed.doc.toJS();
  } catch (error) {
    return at1(`YAML: ${error instanceof Error ? error.message : String(error)}`);
  }
  if (data === null || data === undefined) return at1('lab.yaml is empty');
  const result = LabDocument.safeParse(data);
  if (!result.success) {
    return err(issueProblems(result.error.issues, data, parsed.doc, text, labOrigin).sort(byPlace));
  }
  const document = result.data;
  const added = [
    ...document.cluster.setup,
    ...(document.solution ?? []),
    ...(document.steps ?? []).flatMap((step) => [...step.setup, ...step.solution]),
  ].flatMap((op) => (op.op === 'nodeAdd' ? [op.role] : []));
  const ctx: LabContext = {
    id,
    dir,
    display,
    labText: text,
    labDoc: parsed.doc,
    labOrigin,
    embedded: document.backends.includes('embedded'),
    workers: workerRoles(document, added),
    problems: [],
  };
  const folder = basename(dir);
  if (document.id !== folder) {
    labProblem(ctx, ['id'], `id "${document.id}" must equal the lab's folder name "${folder}"`);
  }

  let starter: StarterManifest | undefined;
  if (document.starter !== undefined) {
    const manifest = await loadManifest(document.starter, ['starter'], ctx, false);
    if (manifest)
      starter = { text: manifest.text, ...(manifest.file ? { file: manifest.file } : {}) };
  }
  const setup = await loadOperations(document.cluster.setup, ['cluster', 'setup'], ctx);
  const steps: LabStep[] = [];
  if (document.steps) {
    for (const [i, step] of document.steps.entries()) {
      steps.push({
        title: step.title,
        task: step.task,
        hints: step.hints,
        checks: step.checks,
        setup: await loadOperations(step.setup, ['steps', i, 'setup'], ctx),
        solution: await loadOperations(step.solution, ['steps', i, 'solution'], ctx),
      });
    }
  } else {
    steps.push({
      title: document.title,
      task: document.task,
      hints: [],
      checks: document.checks ?? [],
      setup: [],
      solution: await loadOperations(document.solution ?? [], ['solution'], ctx),
    });
  }
  if (ctx.problems.length) return err(ctx.problems.sort(byPlace));

  return ok({
    id: document.id,
    title: document.title,
    lesson: document.lesson,
    level: document.level,
    minutes: document.minutes,
    tags: document.tags,
    task: document.task,
    ...(starter ? { starter } : {}),
    cluster: { workers: document.cluster.workers, nodes: document.cluster.nodes, setup },
    stepped: document.steps !== undefined,
    steps,
    hints: document.hints,
    backends: document.backends,
    ...(document.clockNote !== undefined ? { clockNote: document.clockNote } : {}),
    dir,
  });
}

/** A lab that failed to load, with its problems. */
export interface LabFailure {
  readonly id: string;
  readonly problems: readonly LabProblem[];
}

/**
 * Loads every lab of `labsDir` (each folder with a lab.yaml, by name). A broken lab does not
 * hide the others: its problems are collected and the rest still load.
 */
export async function loadLabs(labsDir: string): Promise<{ labs: Lab[]; failures: LabFailure[] }> {
  const display = displayer(labsDir);
  const labs: Lab[] = [];
  const failures: LabFailure[] = [];
  const entries = await readdir(labsDir, { withFileTypes: true });
  for (const entry of entries.sort((a, b) => (a.name < b.name ? -1 : 1))) {
    if (entry.name.startsWith('.')) continue;
    const dir = join(labsDir, entry.name);
    const labFile = join(dir, 'lab.yaml');
    if (entry.isSymbolicLink()) {
      const hasLab = await lstat(labFile).then(
        () => true,
        () => false,
      );
      if (hasLab) {
        failures.push({
          id: entry.name,
          problems: [
            {
              file: display(resolve(labFile)),
              line: 1,
              col: 1,
              message: `${display(resolve(dir))} is a symbolic link: a lab is a folder of its own`,
            },
          ],
        });
      }
      continue;
    }
    if (!entry.isDirectory()) continue;
    const exists = await lstat(labFile).then(
      () => true,
      () => false,
    );
    if (!exists) continue;
    const result = await loadLab(labsDir, entry.name);
    if (result.ok) labs.push(result.value);
    else failures.push({ id: entry.name, problems: result.error });
  }
  return { labs, failures };
}

/** Every problem of every lab in `labsDir`, as `file:line:col: message` lines; empty when valid. */
export async function validateLabs(labsDir: string): Promise<string[]> {
  const { failures } = await loadLabs(labsDir);
  return failures.flatMap((failure) => failure.problems.map(formatProblem));
}
