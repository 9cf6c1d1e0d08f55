/**
 * Reading a synthesized template: its resources, and a policy resource named by what it is
 * (`key gateway g1`, `table elg-330000-audit`, ...) rather than by logical id.
 */
import type { FunctionSpec } from '../../functions/catalog.ts';
import type { KeyPlans } from '../context.ts';
import { KEY_PURPOSE_PATTERN } from '../names.ts';

export interface Template {
  Resources: Record<
    string,
    {
      Type: string;
      Properties?: Record<string, unknown>;
      DeletionPolicy?: string;
      UpdateReplacePolicy?: string;
    }
  >;
}

/**
 * One check of a province's template against the key plans and the catalog entries it was built
 * from: the problems it finds, none when the template passes.
 */
export type TemplateCheck = (
  template: Template,
  province: string,
  keys: KeyPlans,
  catalog: readonly FunctionSpec[],
) => string[];

/** Names a policy resource by what it is, following Ref, GetAtt and the `/index/*` join. */
export function resourceDescriber(template: Template): (resource: unknown) => string {
  const resources = template.Resources;
  const keyGeneration = new Map<string, string>();
  for (const r of Object.values(resources)) {
    if (r.Type !== 'AWS::KMS::Alias') continue;
    const m = new RegExp(`^alias/elg-\\d{6}-(${KEY_PURPOSE_PATTERN})-g(\\d+)$`).exec(
      String(r.Properties?.AliasName),
    );
    const target = getAttId(r.Properties?.TargetKeyId);
    if (m && target) keyGeneration.set(target, `key ${m[1]} g${m[2]}`);
  }
  const describe = (resource: unknown): string => {
    if (resource === '*') return '*';
    if (typeof resource === 'string') return resource;
    const obj = resource as Record<string, unknown>;
    const id = getAttId(obj) ?? (typeof obj.Ref === 'string' ? obj.Ref : undefined);
    if (id) {
      const r = resources[id];
      const props = r?.Properties ?? {};
      switch (r?.Type) {
        case 'AWS::KMS::Key':
          return keyGeneration.get(id) ?? `key ${id} (no generation alias)`;
        case 'AWS::DynamoDB::Table':
          return `table ${String(props.TableName)}`;
        case 'AWS::SecretsManager::Secret':
          return `secret ${String(props.Name)}`;
        case 'AWS::Logs::LogGroup':
          return `log group ${String(props.LogGroupName)}`;
        default:
          return `${r?.Type ?? 'unknown'} ${id}`;
      }
    }
    const join = obj['Fn::Join'];
    if (Array.isArray(join) && join[0] === '' && Array.isArray(join[1])) {
      return (join[1] as unknown[])
        .map((part) => (typeof part === 'string' ? part : describe(part)))
        .join('');
    }
    return JSON.stringify(resource);
  };
  return describe;
}

export function getAttId(value: unknown): string | undefined {
  const att = (value as { 'Fn::GetAtt'?: unknown } | undefined)?.['Fn::GetAtt'];
  return Array.isArray(att) && att[1] === 'Arn' && typeof att[0] === 'string' ? att[0] : undefined;
}

export function asArray(value: unknown): unknown[] {
  if (value === undefined) return [];
  return Array.isArray(value) ? value : [value];
}

/** A Lambda function's environment variables as the template sets them (none: empty). */
export function environmentOf(resource: Template['Resources'][string]): Record<string, unknown> {
  const env = resource.Properties?.Environment as { Variables?: Record<string, unknown> } | undefined;
  return env?.Variables ?? {};
}
