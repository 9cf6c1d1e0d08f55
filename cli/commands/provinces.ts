import { AgreementListSchema, activePartners, table } from '../agreement-view.ts';
import { defineCommand, printedJson } from '../command.ts';
import { CliError, ExitCode, HttpError, UnreachableError } from '../errors.ts';
import { type FederationProvince, loadFederation } from '../federation-file.ts';
import { call, expectShape } from '../http.ts';
import { provinceLabel } from '../output.ts';

/** Whom a province holds active agreements with, by its own list; or why it could not say. */
type Agreements =
  | { activeWith: string[]; activeAgreements: { id: string; name: string; parties: string[] }[] }
  | { agreementsUnavailable: string };

export const provinces = defineCommand({
  name: 'provinces',
  summary: "list the federation's provinces, their URLs, departments and active agreements",
  usage: [
    'usage: elg provinces [--offline]',
    '',
    'Reads the federation file, then asks each province (as its operator) for its agreements',
    '(GET /v1/agreements) and shows whom it holds an active agreement with. Each province answers',
    'for itself: for a few seconds after a step the parties may differ, until it is delivered.',
    'A province that does not answer is marked, and the others are still shown.',
    '  --offline   the federation file only, no network',
  ],
  options: { offline: { type: 'boolean' } },
  positionals: { min: 0, max: 0, names: '' },
  async run({ values }, io) {
    const { file, federation } = await loadFederation(values.federation, io);
    const agreements = values.offline
      ? undefined
      : await Promise.all(federation.provinces.map((p) => agreementsOf(p)));
    // Tokens stay in the file: a listing is often pasted where secrets should not go.
    const list = federation.provinces.map(({ id, name, url, departments }, i) => ({
      id,
      name,
      url,
      departments,
      ...agreements?.[i],
    }));
    if (printedJson(values, io, { file, provinces: list })) return ExitCode.ok;
    io.out(`federation ${file}\n`);
    for (const p of list) {
      io.out(`  ${p.id}  ${p.name}  ${p.url}\n`);
      for (const d of p.departments) io.out(`          ${d.uscc}  ${d.name}\n`);
    }
    if (agreements) {
      io.out('\nactive agreements, as each province holds them\n');
      io.out(
        table(
          ['PROVINCE', 'ACTIVE WITH'],
          list.map((p, i) => {
            const a = agreements[i];
            const cell = !a
              ? ''
              : 'agreementsUnavailable' in a
                ? `unknown: ${a.agreementsUnavailable}`
                : a.activeWith.length > 0
                  ? a.activeWith.map(provinceLabel).join(', ')
                  : '(none)';
            return [provinceLabel(p.id), cell];
          }),
        ),
      );
      if (
        agreements.some(
          (a) => 'agreementsUnavailable' in a && a.agreementsUnavailable.startsWith('no answer'),
        )
      ) {
        io.out('  (a province did not answer: is the federation running? `npm start`, or pass --offline)\n');
      }
    }
    return ExitCode.ok;
  },
});

async function agreementsOf(p: FederationProvince): Promise<Agreements> {
  try {
    const answer = await call(
      { province: p.id, url: p.url, token: p.tokens.operator },
      'GET',
      '/v1/agreements',
    );
    const { items } = expectShape(AgreementListSchema, answer, 'agreement list');
    return {
      activeWith: activePartners(items, p.id),
      activeAgreements: items
        .filter((a) => a.state === 'active' && a.activeParties.includes(p.id))
        .map((a) => ({ id: a.id, name: a.name, parties: a.activeParties })),
    };
  } catch (err) {
    if (!(err instanceof CliError)) throw err;
    if (err instanceof UnreachableError) {
      // The advice to run `npm start` is printed once under the table, not in every row.
      return { agreementsUnavailable: err.message.replace(/\. Is the gateway running\?.*$/s, '') };
    }
    const code = err instanceof HttpError ? `${err.code}: ` : '';
    return { agreementsUnavailable: `${code}${err.message}` };
  }
}
