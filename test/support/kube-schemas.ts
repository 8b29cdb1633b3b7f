import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { realpathSync } from 'node:fs';

/**
 * kubeconform schemas from the Kubernetes OpenAPI document provisioned from the k8s.io/kubernetes
 * Go module (.tools/k8s-openapi.json), so the chart test never fetches schemas from the web.
 * One standalone file per kind, named the way kubeconform's schema-location template expects
 * (`{{ .ResourceKind }}{{ .KindSuffix }}.json`), strict: objects reject unknown fields, as
 * `kubectl apply --validate=strict` does. IntOrString and Quantity accept both forms.
 */

type Schema = Record<string, unknown>;

const INT_OR_STRING = { oneOf: [{ type: 'string' }, { type: 'integer' }] };
const QUANTITY = { oneOf: [{ type: 'string' }, { type: 'number' }] };

function strict(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(strict);
  if (!node || typeof node !== 'object') return node;
  const out: Schema = {};
  for (const [k, v] of Object.entries(node as Schema)) out[k] = strict(v);
  if (out.format === 'int-or-string') return INT_OR_STRING;
  if (out.properties && out.additionalProperties === undefined && !out['x-kubernetes-preserve-unknown-fields']) {
    out.additionalProperties = false;
  }
  return out;
}

/** Writes the schemas (once per OpenAPI document) and returns kubeconform's -schema-location. */
export function kubeconformSchemaLocation(openapiPath: string, outRoot: string): string {
  // The provisioned document lives in k8s-openapi-<version>/ (its own info.version says "unversioned").
  const version = basename(dirname(realpathSync(openapiPath)));
  const dir = join(outRoot, `kubeconform-schemas-${version}`);
  const location = `${dir}/{{ .ResourceKind }}{{ .KindSuffix }}.json`;
  if (existsSync(join(dir, '.complete'))) return location;
  const swagger = JSON.parse(readFileSync(openapiPath, 'utf8')) as { definitions: Record<string, Schema> };
  const definitions: Record<string, unknown> = {};
  for (const [name, def] of Object.entries(swagger.definitions)) {
    definitions[name] =
      name === 'io.k8s.apimachinery.pkg.util.intstr.IntOrString'
        ? INT_OR_STRING
        : name === 'io.k8s.apimachinery.pkg.api.resource.Quantity'
          ? QUANTITY
          : strict(def);
  }
  const partial = `${dir}.partial`;
  mkdirSync(partial, { recursive: true });
  // One shared definitions document: its own `#/definitions/…` references resolve inside it.
  writeFileSync(join(partial, '_definitions.json'), JSON.stringify({ definitions }));
  for (const [name, def] of Object.entries(swagger.definitions)) {
    const gvks = def['x-kubernetes-group-version-kind'] as
      { group: string; version: string; kind: string }[] | undefined;
    for (const gvk of gvks ?? []) {
      const group = gvk.group.split('.')[0];
      const suffix = gvk.group ? `-${group}-${gvk.version}` : `-${gvk.version}`;
      const file = join(partial, `${gvk.kind.toLowerCase()}${suffix}.json`);
      // apiVersion and kind are enums, so a Deployment document cannot pass as another kind.
      const apiVersion = gvk.group ? `${gvk.group}/${gvk.version}` : gvk.version;
      const schema = {
        allOf: [
          { $ref: `_definitions.json#/definitions/${name}` },
          {
            required: ['apiVersion', 'kind'],
            properties: { apiVersion: { enum: [apiVersion] }, kind: { enum: [gvk.kind] } },
          },
        ],
      };
      writeFileSync(file, JSON.stringify(schema));
    }
  }
  writeFileSync(join(partial, '.complete'), '');
  renameSync(partial, dir);
  return location;
}
