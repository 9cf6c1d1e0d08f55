import { HOLDER_TYPE_NAMES } from '../contracts/codes/index.ts';
import type { License } from '../contracts/license.ts';
import { fieldLines, provinceLabel, statusLabel } from './output.ts';

function holderType(code: string): string {
  const name = Object.hasOwn(HOLDER_TYPE_NAMES, code)
    ? HOLDER_TYPE_NAMES[code as keyof typeof HOLDER_TYPE_NAMES]
    : undefined;
  return name ? name.zh : code;
}

export type Row = readonly [string, string | undefined];

/** A license as people read it: what, whose, by whom, how long, and its state; `more` rows follow. */
export function licenseLines(license: License, more: readonly Row[] = [], indent = '  '): string {
  const fields = Object.entries(license.fields).map(([k, v]) => `${k}=${String(v)}`);
  return fieldLines(
    [
      ['version', license.version],
      ['status', statusLabel(license.status) + (license.statusReason ? ` (${license.statusReason})` : '')],
      ['status since', license.statusChangedAt],
      ['superseded by', license.supersededBy],
      ['type', `${license.typeCode} ${license.typeName}`],
      ['number', license.number],
      ['holder', `${license.holder.name} (${holderType(license.holder.typeCode)} ${license.holder.code})`],
      ['issuer', `${license.issuer.name} (${license.issuer.uscc})`],
      ['province', provinceLabel(license.province)],
      ['issued', `${license.issueDate} (this version at ${license.issuedAt})`],
      ['valid', `${license.validFrom} to ${license.validUntil ?? 'no end date'}`],
      ['fields', fields.length > 0 ? fields.join(', ') : undefined],
      ...more,
    ],
    indent,
  );
}
