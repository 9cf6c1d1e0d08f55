/**
 * A string or number member of an item DynamoDB handed back with ConditionalCheckFailedException
 * (ReturnValuesOnConditionCheckFailure). The document client leaves that item in the wire form
 * (`{"S": "..."}`, `{"N": "12"}`); a plain value is taken as it is too.
 */
export function storedString(item: Record<string, unknown> | undefined, name: string): string | undefined {
  const value = item?.[name];
  if (typeof value === 'string') return value;
  if (typeof value === 'number') return String(value);
  if (typeof value === 'object' && value !== null) {
    const wire = value as { S?: unknown; N?: unknown };
    if (typeof wire.S === 'string') return wire.S;
    if (typeof wire.N === 'string') return wire.N;
  }
  return undefined;
}

/** A number member of such an item; undefined when absent or not a safe integer. */
export function storedInteger(item: Record<string, unknown> | undefined, name: string): number | undefined {
  const text = storedString(item, name);
  const n = text === undefined ? Number.NaN : Number(text);
  return Number.isSafeInteger(n) ? n : undefined;
}
