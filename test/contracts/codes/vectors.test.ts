import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import {
  buildIdentifier,
  IdentifierSchema,
  isCitizenId,
  isUscc,
  parseIdentifier,
  parseUscc,
} from '../../../contracts/codes/index.ts';
import { NOW } from './arbitraries.ts';

const VectorsSchema = z.object({
  licenseIdentifiers: z.object({
    valid: z.array(
      z.object({ identifier: z.string(), issuerCodeKind: z.enum(['uscc', 'other']), source: z.string() }),
    ),
    invalid: z.array(z.object({ identifier: z.string(), reason: z.string(), source: z.string().optional() })),
  }),
  uscc: z.object({ valid: z.array(z.string()), invalid: z.array(z.string()) }),
  citizenId: z.object({ valid: z.array(z.string()), invalid: z.array(z.string()) }),
});

// The project's own copy of the national test vectors: a clone anywhere carries them.
const vectorsUrl = new URL('../../vectors/codes.json', import.meta.url);
const vectors = VectorsSchema.parse(JSON.parse(readFileSync(vectorsUrl, 'utf8')));

/** Each vector's stated reason, as the segment parseIdentifier must name and words its message must hold. */
const EXPECTED: Record<string, { segment: string; message: RegExp }> = {
  'check character (expected D)': { segment: 'check', message: /^check character is M, expected D$/ },
  'check character': { segment: 'check', message: /^check character is F, expected 8$/ },
  root: { segment: 'root', message: /root must be 1\.2\.156\.3005\.2, got 1\.2\.156\.3005\.1/ },
  'version must be 3 digits': { segment: 'version', message: /version must be 3 digits/ },
  'lower case': { segment: 'typeCode', message: /type code must be upper case/ },
  'type code length': { segment: 'typeCode', message: /type code must be 21 characters.*got 20/ },
  'serial longer than 32': { segment: 'serial', message: /serial must be 1-32 characters, got 33/ },
  'missing serial': { segment: 'serial', message: /serial is missing/ },
  'trailing space': { segment: 'format', message: /whitespace at position 73/ },
  empty: { segment: 'format', message: /identifier is empty/ },
};

describe('shared test vectors', () => {
  it('reads the vectors from inside the repository', () => {
    const repository = new URL('../../../', import.meta.url).pathname;
    expect(vectorsUrl.pathname.startsWith(repository)).toBe(true);
    expect(vectorsUrl.pathname).toMatch(/\/test\/vectors\/codes\.json$/);
    expect(vectors.licenseIdentifiers.valid.length).toBeGreaterThan(0);
  });

  describe.each(vectors.licenseIdentifiers.valid)('valid identifier $identifier', (vector) => {
    it('parses with the stated issuer code kind', () => {
      const parsed = parseIdentifier(vector.identifier);

      expect(parsed).toMatchObject({
        ok: true,
        value: { identifier: vector.identifier, issuerCodeKind: vector.issuerCodeKind },
      });
    });

    it('is rebuilt identically from its parts', () => {
      const parsed = parseIdentifier(vector.identifier);
      if (!parsed.ok) throw new Error(parsed.issue.reason);

      const { typeCode, issuerCode, serial, version } = parsed.value;

      expect(buildIdentifier({ typeCode, issuerCode, serial, version })).toBe(vector.identifier);
      expect(IdentifierSchema.safeParse(vector.identifier).success).toBe(true);
    });
  });

  describe.each(vectors.licenseIdentifiers.invalid)('invalid identifier ($reason)', (vector) => {
    it('is rejected naming the segment and what is wrong', () => {
      const expected = EXPECTED[vector.reason];
      if (!expected) throw new Error(`no expectation for vector reason ${vector.reason}`);

      const parsed = parseIdentifier(vector.identifier);

      expect(parsed.ok).toBe(false);
      if (parsed.ok) return;
      expect(parsed.issue.segment).toBe(expected.segment);
      expect(parsed.issue.reason).toMatch(expected.message);
    });

    it('is rejected by the schema with the same message', () => {
      const parsed = parseIdentifier(vector.identifier);
      const result = IdentifierSchema.safeParse(vector.identifier);

      expect(result.success).toBe(false);
      expect(result.error?.issues[0]?.message).toBe(parsed.ok ? undefined : parsed.issue.reason);
    });
  });

  it.each(vectors.uscc.valid)('accepts the USCC %s', (uscc) => {
    expect(parseUscc(uscc)).toMatchObject({ ok: true, value: { uscc } });
  });

  it.each(vectors.uscc.invalid)('rejects the USCC %s', (uscc) => {
    expect(isUscc(uscc)).toBe(false);
  });

  it.each(vectors.citizenId.valid)('accepts the citizen ID number %s', (id) => {
    expect(isCitizenId(id, NOW)).toBe(true);
  });

  it.each(vectors.citizenId.invalid)('rejects the citizen ID number %s', (id) => {
    expect(isCitizenId(id, NOW)).toBe(false);
  });
});
