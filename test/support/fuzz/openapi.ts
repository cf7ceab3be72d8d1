// The operations of the API's own OpenAPI document, flattened into what the fuzzer needs: method,
// path template, the parameters each place takes, and the JSON body schema with $refs resolved.

export interface JsonSchema {
  type?: string;
  properties?: Record<string, JsonSchema>;
  required?: string[];
  items?: JsonSchema;
  enum?: unknown[];
  allOf?: JsonSchema[];
  $ref?: string;
  minimum?: number;
  maximum?: number;
  format?: string;
}

export interface Operation {
  method: string;
  /** OpenAPI template, e.g. `/drops/{id}/entries`. */
  template: string;
  /** Every `{name}` of the template, documented or not. */
  pathParams: string[];
  queryParams: { name: string; schema: JsonSchema }[];
  /** The JSON body schema, when the operation documents one. */
  body?: JsonSchema;
  /** Content types the operation documents for its body. */
  consumes: string[];
}

export interface OpenApiDocument {
  paths: Record<string, Record<string, OpenApiOperation>>;
  components?: { schemas?: Record<string, JsonSchema> };
}

interface OpenApiOperation {
  parameters?: { name: string; in: string; schema?: JsonSchema }[];
  requestBody?: { content: Record<string, { schema?: JsonSchema }> };
}

const METHODS = ['get', 'post', 'put', 'patch', 'delete'];

/** Every operation of the document, in document order. */
export function operationsOf(document: OpenApiDocument): Operation[] {
  const schemas = document.components?.schemas ?? {};
  const operations: Operation[] = [];
  for (const [template, item] of Object.entries(document.paths)) {
    for (const [method, operation] of Object.entries(item)) {
      if (!METHODS.includes(method)) continue;
      const parameters = operation.parameters ?? [];
      const content = operation.requestBody?.content ?? {};
      const json = content['application/json']?.schema;
      operations.push({
        method: method.toUpperCase(),
        template,
        pathParams: [...template.matchAll(/\{([^}]+)\}/g)].map((match) => match[1]),
        queryParams: parameters
          .filter((parameter) => parameter.in === 'query')
          .map((parameter) => ({ name: parameter.name, schema: resolve(parameter.schema ?? {}, schemas) })),
        body: json ? resolve(json, schemas) : undefined,
        consumes: Object.keys(content),
      });
    }
  }
  return operations;
}

/** The schema with every $ref and single-member allOf replaced by what it names (no cycles here). */
function resolve(schema: JsonSchema, schemas: Record<string, JsonSchema>, depth = 0): JsonSchema {
  if (depth > 20) return {};
  if (schema.$ref) return resolve(schemas[schema.$ref.split('/').pop()!] ?? {}, schemas, depth + 1);
  if (schema.allOf?.length === 1) return resolve(schema.allOf[0], schemas, depth + 1);
  const resolved: JsonSchema = { ...schema };
  if (schema.properties) {
    resolved.properties = Object.fromEntries(
      Object.entries(schema.properties).map(([name, property]) => [
        name,
        resolve(property, schemas, depth + 1),
      ]),
    );
  }
  if (schema.items) resolved.items = resolve(schema.items, schemas, depth + 1);
  return resolved;
}
