import { relative } from 'node:path';
import type { Federation } from './federation.ts';

/** The short guide `npm start` prints: copy-paste commands for the first steps. */
export function guide(f: Federation): string {
  const file = relative(process.cwd(), f.file) || f.file;
  const lines = [
    '',
    'E-license gateway federation is running:',
    ...f.provinces.map((p) => `  ${p.id} ${p.name.padEnd(4, '　')} ${p.url}`),
    '',
    `Dev tokens per role are in ${file}. Try, in another terminal:`,
    '',
    '  # issue a license in Shanghai (310000) as its construction department',
    '  ./bin/elg issue --province 310000 --holder-name 张三 --holder-id 11010519491231002X --category 建筑电工',
    '',
    '  # verify it in Zhejiang (Yangtze River Delta alliance) and in Sichuan (no agreement)',
    '  ./bin/elg verify --province 330000 <identifier>',
    '  ./bin/elg verify --province 510000 <identifier>',
    '',
    '  # trace one verification through every province it touched (trace id printed by verify)',
    '  ./bin/elg audit trace <trace-id> --html trace.html',
    '',
    '  # revoke it (吊销), then verify again: invalid',
    '  ./bin/elg status --province 310000 <identifier> 07 --reason 违规吊销',
    '',
    '  # check an identifier offline (format and check character only)',
    '  ./bin/elg check <identifier>',
    '',
    '  # or with curl',
    `  TOKEN=$(node -e "console.log(require('./${file}').provinces[0].tokens.platform)")`,
    `  curl -s ${f.provinces[0]?.url ?? ''}/v1/verify -H "authorization: Bearer $TOKEN" \\`,
    `       -H 'content-type: application/json' -d '{"identifier":"<identifier>","matterCode":"DEMO0001","useCause":"窗口核验"}'`,
    '',
    'Keys, registry and data live under .elg/ and are reused by the next start. Ctrl-C stops everything.',
    '',
  ];
  return `${lines.join('\n')}\n`;
}
