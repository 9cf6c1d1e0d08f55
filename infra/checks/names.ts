import { PROVINCE_CODES } from '../../contracts/codes/provinces.ts';
import { tableNames } from '../../lib/store/tables.ts';
import {
  alarmTopicName,
  functionName,
  holderHashSecretName,
  KEY_PURPOSE_PATTERN,
  KEY_PURPOSES,
  keyAliasName,
} from '../names.ts';
import type { TemplateCheck } from './template.ts';

/** Physical-name properties by resource type. */
const NAME_PROPERTIES: Readonly<Record<string, string>> = {
  'AWS::DynamoDB::Table': 'TableName',
  'AWS::Lambda::Function': 'FunctionName',
  'AWS::KMS::Alias': 'AliasName',
  'AWS::SecretsManager::Secret': 'Name',
  'AWS::SNS::Topic': 'TopicName',
  'AWS::Logs::LogGroup': 'LogGroupName',
  'AWS::CloudWatch::Alarm': 'AlarmName',
  'AWS::Events::Rule': 'Name',
  'AWS::ApiGatewayV2::Api': 'Name',
};

/** Every physical name carries the province's code and no other province's; the expected ones exist. */
export const checkNames: TemplateCheck = (template, province, _keys, catalog) => {
  const problems: string[] = [];
  const others = PROVINCE_CODES.filter((c) => c !== province);
  const names = new Map<string, string[]>();
  for (const [id, resource] of Object.entries(template.Resources)) {
    const property = NAME_PROPERTIES[resource.Type];
    if (!property) continue;
    const name = resource.Properties?.[property];
    if (typeof name !== 'string') {
      problems.push(`${id} (${resource.Type}) has no fixed ${property}`);
      continue;
    }
    names.set(resource.Type, [...(names.get(resource.Type) ?? []), name]);
    if (!name.includes(`elg-${province}`) && !name.includes(`elg/${province}/`)) {
      problems.push(`${resource.Type} ${name} does not carry the province ${province}`);
    }
    const foreign = others.find((c) => name.includes(c));
    if (foreign) problems.push(`${resource.Type} ${name} carries another province, ${foreign}`);
  }
  const expect = (type: string, wanted: readonly string[]) => {
    const have = new Set(names.get(type) ?? []);
    for (const w of wanted) if (!have.has(w)) problems.push(`no ${type} named ${w}`);
  };
  expect('AWS::DynamoDB::Table', Object.values(tableNames(`elg-${province}`)));
  expect(
    'AWS::Lambda::Function',
    catalog.map((f) => functionName(province, f.name)),
  );
  expect(
    'AWS::KMS::Alias',
    KEY_PURPOSES.flatMap((k) => [keyAliasName(province, k), keyAliasName(province, k, 1)]),
  );
  expect('AWS::SecretsManager::Secret', [holderHashSecretName(province)]);
  expect('AWS::SNS::Topic', [alarmTopicName(province)]);
  for (const alias of names.get('AWS::KMS::Alias') ?? []) {
    if (!new RegExp(`^alias/elg-${province}-(${KEY_PURPOSE_PATTERN})(-g[1-9]\\d*)?$`).test(alias)) {
      problems.push(`KMS alias ${alias} is not alias/elg-${province}-<purpose>[-g<N>]`);
    }
  }
  return problems;
};
