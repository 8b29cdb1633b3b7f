import { z } from 'zod';
import { errorSchema, type Operation } from './operations';

type JsonSchema = Record<string, unknown>;

/**
 * The OpenAPI 3.1 document, generated from the operations' zod schemas with zod's own
 * `z.toJSONSchema` (JSON Schema 2020-12, which OpenAPI 3.1 uses as is): nothing hand-written
 * that could drift from what the handlers parse. Schemas named with `.meta({ id })` become
 * components; everything else is inlined.
 */
export function buildOpenApi(ops: Operation[]): JsonSchema {
  const components: Record<string, JsonSchema> = {};
  const convert = (schema: z.ZodType, io: 'input' | 'output'): JsonSchema => {
    const raw = z.toJSONSchema(schema, { io, target: 'draft-2020-12', unrepresentable: 'any' });
    // zod names `.meta({ id })` schemas in `$defs`; in OpenAPI they live in components.
    const out = JSON.parse(JSON.stringify(raw).replaceAll('"#/$defs/', '"#/components/schemas/')) as JsonSchema;
    delete out.$schema;
    const defs = out.$defs as Record<string, JsonSchema> | undefined;
    delete out.$defs;
    for (const [k, v] of Object.entries(defs ?? {})) components[k] ??= v;
    return out;
  };
  const strip = (s: JsonSchema): JsonSchema => {
    const { id: _id, ...rest } = s;
    return rest;
  };

  const paths: Record<string, Record<string, unknown>> = {};
  const errorRef = convert(errorSchema, 'output');
  const err = (description: string) => ({ description, content: { 'application/json': { schema: errorRef } } });
  for (const op of ops) {
    const parameters: unknown[] = [];
    for (const [where, obj] of [
      ['path', op.params],
      ['query', op.query],
    ] as const) {
      if (!obj) continue;
      for (const [name, field] of Object.entries(obj.shape)) {
        const schema = strip(convert(field as z.ZodType, 'input'));
        parameters.push({
          name,
          in: where,
          required: where === 'path' || !(field as z.ZodType).safeParse(undefined).success,
          ...(typeof schema.description === 'string' ? { description: schema.description } : {}),
          schema,
        });
      }
    }
    const responses: Record<string, unknown> = {
      [String(op.status)]: {
        description: op.status === 202 ? 'accepted: the workflow was started' : 'OK',
        content: { 'application/json': { schema: convert(op.response, 'output') } },
      },
      '400': err('invalid request (the message says what is wrong); nothing changed'),
      '401': err('no valid token'),
      '403': err(`the token's role is below ${op.role}`),
      '429': err('rate limit reached for this token'),
    };
    if (op.params) {
      responses['404'] = err('not found');
      responses['414'] = err('a path parameter longer than the server accepts');
    } else if (op.notFound) responses['404'] = err(`not found: ${op.notFound}`);
    if (op.method === 'POST') responses['409'] = err('the request does not fit the current state; nothing changed');
    paths[op.path] ??= {};
    paths[op.path]![op.method.toLowerCase()] = {
      operationId: op.id,
      summary: op.summary,
      tags: [op.tag],
      description: `Role: **${op.role}**.${op.cli?.length ? ` CLI: ${op.cli.map((c) => `\`eksflow ${c}\``).join(', ')}.` : ''}`,
      'x-eksflow-role': op.role,
      ...(parameters.length ? { parameters } : {}),
      ...(op.body
        ? {
            requestBody: {
              required: op.method === 'POST' && !op.body.safeParse({}).success,
              content: { 'application/json': { schema: convert(op.body, 'input') } },
            },
          }
        : {}),
      responses,
      security: [{ bearer: [] }],
    };
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'eksflow operator API',
      version: '1',
      description:
        'Operate an EKS fleet run by eksflow: clusters (pause, overrides, scale), the IST timetable, alerts, reports, spot interruptions. Long operations answer 202 with the workflow id; GET /api/v1/workflows/{workflowId} gives its status.',
    },
    servers: [{ url: '/' }],
    paths,
    components: {
      schemas: components,
      securitySchemes: {
        bearer: {
          type: 'http',
          scheme: 'bearer',
          description: 'An API token (roles viewer, operator, admin) or an OIDC JWT from the configured issuer',
        },
      },
    },
  };
}

const esc = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/** A self-contained HTML reference of the document (no scripts, no CDN). */
export function referencePage(spec: JsonSchema): string {
  const paths = spec.paths as Record<string, Record<string, Record<string, unknown>>>;
  const sections: string[] = [];
  for (const [path, methods] of Object.entries(paths)) {
    for (const [method, op] of Object.entries(methods)) {
      const params = (op.parameters as { name: string; in: string; required: boolean; description?: string }[]) ?? [];
      const body = (op.requestBody as { content: Record<string, { schema: unknown }> } | undefined)?.content[
        'application/json'
      ]?.schema;
      const responses = op.responses as Record<
        string,
        { description: string; content?: Record<string, { schema: unknown }> }
      >;
      sections.push(`<section id="${esc(String(op.operationId))}">
<h3><span class="m ${method}">${method.toUpperCase()}</span> <code>${esc(path)}</code></h3>
<p>${esc(String(op.summary))} — role <b>${esc(String(op['x-eksflow-role']))}</b></p>
${params.length ? `<table><tr><th>parameter</th><th>in</th><th>required</th><th>description</th></tr>${params.map((p) => `<tr><td><code>${esc(p.name)}</code></td><td>${p.in}</td><td>${p.required ? 'yes' : 'no'}</td><td>${esc(p.description ?? '')}</td></tr>`).join('')}</table>` : ''}
${body ? `<details><summary>request body</summary><pre>${esc(JSON.stringify(body, null, 2))}</pre></details>` : ''}
<details><summary>responses: ${Object.keys(responses).join(', ')}</summary>${Object.entries(responses)
        .map(
          ([code, r]) =>
            `<p><b>${code}</b> ${esc(r.description)}</p>${r.content ? `<pre>${esc(JSON.stringify(r.content['application/json']?.schema, null, 2))}</pre>` : ''}`,
        )
        .join('')}</details>
</section>`);
    }
  }
  const schemas = (spec.components as { schemas: Record<string, unknown> }).schemas;
  const info = spec.info as { title: string; description: string };
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${esc(info.title)}</title>
<style>body{font:14px system-ui,sans-serif;max-width:1000px;margin:2em auto;padding:0 1em;color:#222}
code,pre{font:12px ui-monospace,monospace}pre{background:#f6f8fa;padding:.6em;overflow:auto}
.m{display:inline-block;min-width:4em;text-align:center;color:#fff;border-radius:3px;padding:0 .3em}
.get{background:#2b7bb9}.post{background:#2f9e44}table{border-collapse:collapse}td,th{border:1px solid #ddd;padding:2px 6px}
section{border-top:1px solid #eee;padding:.3em 0}</style></head><body>
<h1>${esc(info.title)}</h1><p>${esc(info.description)}</p>
<p>Machine-readable: <a href="/api/v1/openapi.json">/api/v1/openapi.json</a> (OpenAPI 3.1). Authenticate with <code>Authorization: Bearer &lt;token&gt;</code>.</p>
${sections.join('\n')}
<h2>Schemas</h2>${Object.entries(schemas)
    .map(
      ([k, v]) =>
        `<details><summary><code>${esc(k)}</code></summary><pre>${esc(JSON.stringify(v, null, 2))}</pre></details>`,
    )
    .join('')}
</body></html>`;
}
