import { parseCommand } from '../args.ts';
import { type Command, helpText } from '../command.ts';
import { ExitCode } from '../errors.ts';
import { loadFederation } from '../federation-file.ts';
import { printJson } from '../output.ts';

export const provinces: Command = {
  name: 'provinces',
  summary: "list the federation's provinces, their URLs and issuing departments",
  usage: ['usage: elg provinces', '', 'Reads the federation file; no network.'],
  async run(argv, io) {
    const { values } = parseCommand('provinces', argv, {}, { min: 0, max: 0, names: '' });
    if (values.help) {
      io.out(helpText(provinces));
      return ExitCode.ok;
    }
    const { file, federation } = await loadFederation(values.federation, io);
    // Tokens stay in the file: a listing is often pasted where secrets should not go.
    const list = federation.provinces.map(({ id, name, url, departments }) => ({
      id,
      name,
      url,
      departments,
    }));
    if (values.json) {
      printJson(io, { file, provinces: list });
      return ExitCode.ok;
    }
    io.out(`federation ${file}\n`);
    for (const p of list) {
      io.out(`  ${p.id}  ${p.name}  ${p.url}\n`);
      for (const d of p.departments) io.out(`          ${d.uscc}  ${d.name}\n`);
    }
    return ExitCode.ok;
  },
};
