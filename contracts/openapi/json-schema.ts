import { z } from 'zod';
import { COMPONENTS, type ComponentName } from './components.ts';

type JsonSchema = Record<string, unknown>;
const REF_PREFIX = '#/components/schemas/';
export const ref = (name: ComponentName) => ({ $ref: `${REF_PREFIX}${name}` });

/**
 * Strips `$schema` (OpenAPI 3.1's default dialect is JSON Schema 2020-12 with its vocabulary, what
 * zod writes) and `$id` (a component is named by its place in the document).
 */
function clean(s: JsonSchema): JsonSchema {
  const { $schema: _schema, $id: _id, ...rest } = s;
  return rest;
}

function refsIn(value: unknown, out = new Set<string>()): Set<string> {
  if (Array.isArray(value)) for (const v of value) refsIn(v, out);
  else if (value && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) {
      if (k === '$ref' && typeof v === 'string' && v.startsWith(REF_PREFIX))
        out.add(v.slice(REF_PREFIX.length));
      else refsIn(v, out);
    }
  }
  return out;
}

let componentSchemas: Record<string, JsonSchema> | undefined;

/** JSON Schema (2020-12, as OpenAPI 3.1 uses it) of every component, built once. */
export function schemas(): Record<string, JsonSchema> {
  if (componentSchemas) return componentSchemas;
  const registry = z.registry<{ id: string; description?: string }>();
  for (const [id, c] of Object.entries(COMPONENTS)) {
    registry.add(c.schema, { id, ...('description' in c ? { description: c.description } : {}) });
  }
  const convert = (io: 'input' | 'output') =>
    z.toJSONSchema(registry, {
      target: 'draft-2020-12',
      io,
      unrepresentable: 'any',
      uri: (id) => `${REF_PREFIX}${id}`,
    }).schemas as Record<string, JsonSchema>;
  const side = { input: convert('input'), output: convert('output') };
  const out: Record<string, JsonSchema> = {};
  for (const [name, c] of Object.entries(COMPONENTS) as [
    ComponentName,
    (typeof COMPONENTS)[ComponentName],
  ][]) {
    const io = c.use === 'request' ? 'input' : 'output';
    const json = side[io][name];
    if (!json) throw new Error(`openapi: no JSON Schema for ${name}`);
    if (c.use === 'both' && JSON.stringify(side.input[name]) !== JSON.stringify(json)) {
      throw new Error(`openapi: ${name} reads differently as a request and as an answer; name each side`);
    }
    // A request schema may only point at schemas drawn as requests, an answer at answers.
    for (const target of refsIn(json)) {
      const use = COMPONENTS[target as ComponentName]?.use;
      if (use !== 'both' && use !== c.use) {
        throw new Error(`openapi: ${name} (${c.use}) refers to ${target} (${use ?? 'unknown'})`);
      }
    }
    out[name] = clean(json);
  }
  componentSchemas = out;
  return out;
}

/** A parameter's schema, inline (parameters are few and small). */
export const inline = (s: z.ZodType) =>
  clean(z.toJSONSchema(s, { target: 'draft-2020-12', io: 'input', unrepresentable: 'any' }) as JsonSchema);

export const json = (name: ComponentName, example: unknown) => ({
  'application/json': { schema: ref(name), example },
});
