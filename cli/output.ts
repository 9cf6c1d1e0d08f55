import { LICENSE_STATUS_NAMES, PROVINCES } from '../contracts/codes/index.ts';
import type { Io } from './io.ts';

/** `07 吊销 revoked` for a status code; the code alone when it is not one we know. */
export function statusLabel(code: string): string {
  const name = Object.hasOwn(LICENSE_STATUS_NAMES, code)
    ? LICENSE_STATUS_NAMES[code as keyof typeof LICENSE_STATUS_NAMES]
    : undefined;
  return name ? `${code} ${name.zh} ${name.en}` : code;
}

/** `310000 上海` for a province id. */
export function provinceLabel(id: string): string {
  const p = Object.hasOwn(PROVINCES, id) ? PROVINCES[id as keyof typeof PROVINCES] : undefined;
  return p ? `${id} ${p.zh}` : id;
}

export function printJson(io: Io, value: unknown): void {
  io.out(`${JSON.stringify(value, null, 2)}\n`);
}

/** Label/value lines with the values aligned; rows without a value are left out. */
export function fieldLines(rows: readonly (readonly [string, string | undefined])[], indent = ''): string {
  const present = rows.filter((r): r is readonly [string, string] => r[1] !== undefined && r[1] !== '');
  const width = Math.max(0, ...present.map(([label]) => label.length));
  return present.map(([label, value]) => `${indent}${label.padEnd(width)}  ${value}\n`).join('');
}

/** A credential is long; people see its ends, scripts get it whole with --json or --out. */
export function shortened(jws: string): string {
  return jws.length <= 60 ? jws : `${jws.slice(0, 32)}…${jws.slice(-16)} (${jws.length} characters)`;
}

export interface Paint {
  bold(s: string): string;
  green(s: string): string;
  red(s: string): string;
  yellow(s: string): string;
  dim(s: string): string;
}

export function paint(io: Io): Paint {
  const wrap = (open: number, close: number) => (s: string) =>
    io.color ? `\u001b[${open}m${s}\u001b[${close}m` : s;
  return {
    bold: wrap(1, 22),
    green: wrap(32, 39),
    red: wrap(31, 39),
    yellow: wrap(33, 39),
    dim: wrap(2, 22),
  };
}
