import { buildIdentifier, parseIdentifier } from '../contracts/codes/index.ts';
import { measure, type Section } from './harness.ts';

const TYPE_CODE = '11100000000013338W032';
const ISSUER = '113100000024601315';

/** National codes: what every issue and every verification pays before any cryptography. */
export const codes: Section = {
  name: 'codes',
  title: 'identifiers (contracts/codes)',
  async run(budget) {
    const serials = Array.from({ length: 1024 }, (_, i) => `2026${String(i).padStart(6, '0')}`);
    let i = 0;
    const roundTrip = await measure(
      'identifier build + parse',
      () => {
        const identifier = buildIdentifier({
          typeCode: TYPE_CODE,
          issuerCode: ISSUER,
          serial: serials[i++ & 1023] ?? '1',
          version: '001',
        });
        if (!parseIdentifier(identifier).ok) throw new Error(`bench: ${identifier} does not parse`);
      },
      budget,
    );
    return [roundTrip];
  },
};
