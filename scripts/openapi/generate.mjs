// Generates the Kubernetes schemas Kubelab serves and validates against, from one source: the
// `kubernetes-types` package (the Kubernetes OpenAPI definitions as TypeScript declarations, with
// their descriptions). Output: main/kube/generated/schemas.js (+ .d.ts), a map from schema names
// as the apiserver spells them (`io.k8s.api.apps.v1.DaemonSet`) to OpenAPI 3.0 schemas, with
// `x-kubernetes-group-version-kind`, patch strategies and list types. Run by scripts/build.mjs.
//
// What the source lacks, and where it comes from instead (see ARCHITECTURE.md):
//  - integer widths (TypeScript has only `number`): formats.mjs;
//  - strategic-merge-patch and list-type markers: patch-meta.mjs;
//  - IntOrString is a bare `number | string` union there: emitted as the named schema
//    `io.k8s.apimachinery.pkg.util.intstr.IntOrString`, as the apiserver does.
import { createRequire } from 'node:module';
import { mkdirSync, readFileSync, writeFileSync, existsSync, statSync } from 'node:fs';
import { dirname, join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { INT64_FIELDS } from './formats.mjs';
import { PATCH_META } from './patch-meta.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const require = createRequire(import.meta.url);
const typesRoot = dirname(require.resolve('kubernetes-types/package.json'));
const typesVersion = JSON.parse(readFileSync(join(typesRoot, 'package.json'), 'utf8')).version;

/** kubernetes-types module → schema name prefix. */
const MODULES = {
  'core/v1': 'io.k8s.api.core.v1',
  'apps/v1': 'io.k8s.api.apps.v1',
  'policy/v1': 'io.k8s.api.policy.v1',
  'coordination/v1': 'io.k8s.api.coordination.v1',
  'storage/v1': 'io.k8s.api.storage.v1',
  'events/v1': 'io.k8s.api.events.v1',
  'autoscaling/v1': 'io.k8s.api.autoscaling.v1',
  'meta/v1': 'io.k8s.apimachinery.pkg.apis.meta.v1',
  'api/resource': 'io.k8s.apimachinery.pkg.api.resource',
  runtime: 'io.k8s.apimachinery.pkg.runtime',
};

/** Kubelab's own API group, declared the same way (see main/kube/simulator-types.ts). */
const OWN_MODULES = {
  [join(root, 'main', 'kube', 'simulator-types.ts')]: 'dev.kubelab.v1alpha1',
};

const INT_OR_STRING = 'io.k8s.apimachinery.pkg.util.intstr.IntOrString';
const outDir = join(root, 'main', 'kube', 'generated');
const outFile = join(outDir, 'schemas.js');

/** The schema-name prefix of the declarations in `fileName`, or undefined if it has none. */
function prefixOf(fileName) {
  const own = OWN_MODULES[fileName.split('/').join(sep)];
  if (own) return own;
  const module = moduleOf(fileName);
  return module ? MODULES[module] : undefined;
}

function moduleOf(fileName) {
  const rel = relative(typesRoot, fileName)
    .split(sep)
    .join('/')
    .replace(/\.d\.ts$/, '');
  return Object.hasOwn(MODULES, rel) ? rel : undefined;
}

function generate() {
  const files = [
    ...Object.keys(MODULES).map((m) => join(typesRoot, `${m}.d.ts`)),
    ...Object.keys(OWN_MODULES),
  ];
  const program = ts.createProgram(files, { noEmit: true, skipLibCheck: true });
  const checker = program.getTypeChecker();
  const schemas = {};
  const ref = (name) => ({ $ref: `#/components/schemas/${name}` });

  const docOf = (node) => {
    const symbol = node.name ? checker.getSymbolAtLocation(node.name) : undefined;
    const text = symbol ? ts.displayPartsToString(symbol.getDocumentationComment(checker)) : '';
    return text.trim();
  };

  const qualifiedName = (typeName) => {
    let symbol = checker.getSymbolAtLocation(typeName);
    if (symbol && symbol.flags & ts.SymbolFlags.Alias) symbol = checker.getAliasedSymbol(symbol);
    const declaration = symbol?.declarations?.[0];
    const prefix = declaration && prefixOf(declaration.getSourceFile().fileName);
    if (!prefix) throw new Error(`unresolved type ${typeName.getText()}`);
    return `${prefix}.${symbol.name}`;
  };

  /** Converts a type node; `field` names the property (for integer widths). */
  const convert = (node, field) => {
    switch (node.kind) {
      case ts.SyntaxKind.StringKeyword:
        return { type: 'string' };
      case ts.SyntaxKind.BooleanKeyword:
        return { type: 'boolean' };
      case ts.SyntaxKind.NumberKeyword:
        return { type: 'integer', format: INT64_FIELDS.has(field) ? 'int64' : 'int32' };
      case ts.SyntaxKind.LiteralType:
        return { type: 'string' };
      case ts.SyntaxKind.ArrayType:
        return { type: 'array', items: convert(node.elementType, field) };
      case ts.SyntaxKind.UnionType: {
        const kinds = node.types.map((t) => t.kind).sort();
        if (
          kinds.join() === [ts.SyntaxKind.NumberKeyword, ts.SyntaxKind.StringKeyword].sort().join()
        ) {
          return ref(INT_OR_STRING);
        }
        throw new Error(`unsupported union ${node.getText()}`);
      }
      case ts.SyntaxKind.TypeLiteral: {
        const index = node.members.find((m) => m.kind === ts.SyntaxKind.IndexSignature);
        if (!index) throw new Error(`unsupported type literal ${node.getText()}`);
        return { type: 'object', additionalProperties: convert(index.type, field) };
      }
      case ts.SyntaxKind.TypeReference: {
        const name = node.typeName.getText();
        if (name === 'Array')
          return { type: 'array', items: convert(node.typeArguments[0], field) };
        return ref(qualifiedName(node.typeName));
      }
      default:
        throw new Error(`unsupported type ${ts.SyntaxKind[node.kind]}: ${node.getText()}`);
    }
  };

  for (const sourceFile of program.getSourceFiles()) {
    const prefix = prefixOf(sourceFile.fileName);
    if (!prefix) continue;
    for (const statement of sourceFile.statements) {
      if (ts.isTypeAliasDeclaration(statement)) {
        const name = `${prefix}.${statement.name.text}`;
        const schema = convert(statement.type, statement.name.text);
        const description = docOf(statement);
        if (name.endsWith('.Time') || name.endsWith('.MicroTime')) schema.format = 'date-time';
        schemas[name] = { description, ...schema };
        continue;
      }
      if (!ts.isInterfaceDeclaration(statement)) continue;
      const name = `${prefix}.${statement.name.text}`;
      const properties = {};
      const required = [];
      let group;
      let version;
      let kind;
      for (const member of statement.members) {
        if (!ts.isPropertySignature(member) || !member.type) continue;
        const field = member.name.getText().replace(/^"|"$/g, '');
        let schema = convert(member.type, field);
        const description = docOf(member);
        if (schema.$ref) {
          // The apiserver wraps references so a field can carry its own description.
          schema = { allOf: [schema], ...(description ? { description } : {}) };
        } else if (description) {
          schema = { description, ...schema };
        }
        const patch = PATCH_META[`${name}.${field}`];
        if (patch) {
          if (patch.strategy) schema['x-kubernetes-patch-strategy'] = patch.strategy;
          if (patch.mergeKey) schema['x-kubernetes-patch-merge-key'] = patch.mergeKey;
          if (patch.listType) schema['x-kubernetes-list-type'] = patch.listType;
          if (patch.keys) schema['x-kubernetes-list-map-keys'] = patch.keys;
        }
        properties[field] = schema;
        if (!member.questionToken) required.push(field);
        if (field === 'apiVersion' && ts.isLiteralTypeNode(member.type)) {
          const apiVersion = member.type.literal.text;
          [group, version] = apiVersion.includes('/') ? apiVersion.split('/') : ['', apiVersion];
        }
        if (field === 'kind' && ts.isLiteralTypeNode(member.type)) kind = member.type.literal.text;
      }
      const schema = { description: docOf(statement), type: 'object', properties };
      if (required.length) schema.required = required.sort();
      if (kind && version !== undefined) {
        schema['x-kubernetes-group-version-kind'] = [{ group, kind, version }];
      }
      schemas[name] = schema;
    }
  }

  schemas[INT_OR_STRING] = {
    description:
      'IntOrString is a type that can hold an int32 or a string.  When used in JSON or YAML marshalling and unmarshalling, it produces or consumes the inner type.  This allows you to have, for example, a JSON field that can accept a name or number.',
    format: 'int-or-string',
    oneOf: [{ type: 'integer' }, { type: 'string' }],
  };
  // kube-openapi serves Quantity in v3 as a string-or-number (OpenAPIV3OneOfTypes).
  const quantity = 'io.k8s.apimachinery.pkg.api.resource.Quantity';
  schemas[quantity] = {
    description: schemas[quantity].description,
    oneOf: [{ type: 'string' }, { type: 'number' }],
  };

  for (const key of Object.keys(PATCH_META)) {
    const [schema] = [key.slice(0, key.lastIndexOf('.'))];
    if (!schemas[schema]?.properties?.[key.slice(key.lastIndexOf('.') + 1)]) {
      throw new Error(`patch-meta.mjs names ${key}, which the schemas do not have`);
    }
  }
  const sorted = Object.fromEntries(Object.entries(schemas).sort(([a], [b]) => a.localeCompare(b)));
  return sorted;
}

/** Regenerates only when the inputs are newer than the output. */
function isStale() {
  if (!existsSync(outFile)) return true;
  const built = statSync(outFile).mtimeMs;
  const inputs = [
    join(typesRoot, 'package.json'),
    fileURLToPath(import.meta.url),
    join(root, 'scripts', 'openapi', 'formats.mjs'),
    join(root, 'scripts', 'openapi', 'patch-meta.mjs'),
    ...Object.keys(OWN_MODULES),
  ];
  return inputs.some((file) => statSync(file).mtimeMs > built);
}

export function generateSchemas({ force = false } = {}) {
  if (!force && !isStale()) return false;
  const schemas = generate();
  const document = { source: `kubernetes-types@${typesVersion}`, schemas };
  mkdirSync(outDir, { recursive: true });
  // JSON.parse of a string literal loads faster than the same object as a JS literal.
  writeFileSync(
    outFile,
    `// Generated by scripts/openapi/generate.mjs from kubernetes-types@${typesVersion}. Do not edit.\n` +
      `export default JSON.parse(${JSON.stringify(JSON.stringify(document))});\n`,
  );
  writeFileSync(
    join(outDir, 'schemas.d.ts'),
    '// Generated by scripts/openapi/generate.mjs. Do not edit.\n' +
      "import type { SchemaDocument } from '../openapi-types';\n" +
      'declare const document: SchemaDocument;\nexport default document;\n',
  );
  return true;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const started = performance.now();
  generateSchemas({ force: process.argv.includes('--force') });
  console.error(`kubelab: schemas generated in ${Math.round(performance.now() - started)} ms`);
}
