import { z } from 'zod';
import {
  type AgreementAction,
  AgreementActionSchema,
  type AgreementView,
  AgreementViewSchema,
  type Grant,
} from '../contracts/agreement.ts';
import { displayWidth } from '../lib/audit/display-width.ts';
import { fieldLines, type Paint, provinceLabel } from './output.ts';

/**
 * Agreements as people read them, and the compact `--grant` syntax. Shared by `elg agreements`
 * and `elg provinces`.
 */

/** `GET /v1/agreements`. */
export const AgreementListSchema = z.object({ items: z.array(AgreementViewSchema) });

const GRANT_KEYS = {
  grantor: 'grantor',
  grantee: 'grantee',
  actions: 'actions',
  action: 'actions',
  types: 'licenseTypes',
  type: 'licenseTypes',
  licenseTypes: 'licenseTypes',
  matters: 'matterCodes',
  matter: 'matterCodes',
  matterCodes: 'matterCodes',
  level: 'maxDataLevel',
  maxDataLevel: 'maxDataLevel',
} as const;
type GrantMember = (typeof GRANT_KEYS)[keyof typeof GRANT_KEYS];

export const GRANT_SYNTAX = 'grantor=ID,grantee=ID,actions=A[+A],types=T[+T],matters=M[+M],level=N';

export type GrantParse = { ok: true; grant: Grant } | { ok: false; problem: string };

/**
 * `grantor=310000,grantee=510000,actions=verify+status,types=*,matters=*,level=2`. A list takes
 * `+` between items, or commas (`actions=verify,status`: an item without `=` continues the list
 * before it). `types` and `matters` default to `*`; the rest must be given. The shape is checked
 * here; whether grantor and grantee are parties is the proposal's check.
 */
export function parseGrant(spec: string): GrantParse {
  const lists = new Map<GrantMember, string[]>();
  let current: GrantMember | undefined;
  for (const token of spec.split(',').map((t) => t.trim())) {
    if (token === '') continue;
    const eq = token.indexOf('=');
    if (eq < 0) {
      if (!current) return { ok: false, problem: `${token} is not key=value` };
      lists.get(current)?.push(...items(token));
      continue;
    }
    const key = token.slice(0, eq).trim();
    const member = Object.hasOwn(GRANT_KEYS, key) ? GRANT_KEYS[key as keyof typeof GRANT_KEYS] : undefined;
    if (!member) {
      return {
        ok: false,
        problem: `unknown key ${key} (keys: grantor, grantee, actions, types, matters, level)`,
      };
    }
    if (lists.has(member)) return { ok: false, problem: `${key} is given twice` };
    lists.set(member, items(token.slice(eq + 1)));
    current = member;
  }
  for (const required of ['grantor', 'grantee', 'actions', 'maxDataLevel'] as const) {
    if (!lists.get(required)?.length) {
      return { ok: false, problem: `${required === 'maxDataLevel' ? 'level' : required}= is missing` };
    }
  }
  const single = (member: 'grantor' | 'grantee' | 'maxDataLevel'): string | undefined => {
    const values = lists.get(member) ?? [];
    return values.length === 1 ? values[0] : undefined;
  };
  const grantor = single('grantor');
  const grantee = single('grantee');
  const level = single('maxDataLevel');
  if (grantor === undefined) return { ok: false, problem: 'grantor takes one province id or *' };
  if (grantee === undefined) return { ok: false, problem: 'grantee takes one province id or *' };
  if (level === undefined) return { ok: false, problem: 'level takes one value, 1 to 4' };
  for (const [key, id] of [
    ['grantor', grantor],
    ['grantee', grantee],
  ] as const) {
    if (id !== '*' && !/^\d{2}0000$/.test(id)) {
      return { ok: false, problem: `${key} takes a province id such as 310000 or *, not ${id}` };
    }
  }
  if (!/^[1-4]$/.test(level)) return { ok: false, problem: `level takes 1 to 4, not ${level}` };
  const actions: AgreementAction[] = [];
  for (const a of lists.get('actions') ?? []) {
    const parsed = AgreementActionSchema.safeParse(a);
    if (!parsed.success) {
      return {
        ok: false,
        problem: `unknown action ${a} (actions: ${AgreementActionSchema.options.join(', ')})`,
      };
    }
    actions.push(parsed.data);
  }
  return {
    ok: true,
    grant: {
      grantor,
      grantee,
      actions,
      licenseTypes: lists.get('licenseTypes')?.length ? (lists.get('licenseTypes') ?? []) : ['*'],
      matterCodes: lists.get('matterCodes')?.length ? (lists.get('matterCodes') ?? []) : ['*'],
      maxDataLevel: Number(level),
    },
  };
}

function items(value: string): string[] {
  return value
    .split('+')
    .map((v) => v.trim())
    .filter((v) => v !== '');
}

/** Signatures held from the parties still in, and how many those parties are. */
export function signatureCount(a: AgreementView): { held: number; needed: number } {
  const signed = new Set(a.signatures.map((s) => s.party));
  return { held: a.activeParties.filter((p) => signed.has(p)).length, needed: a.activeParties.length };
}

/** The provinces `province` holds an active agreement with, from its own list, in id order. */
export function activePartners(list: readonly AgreementView[], province: string): string[] {
  const partners = new Set<string>();
  for (const a of list) {
    if (a.state !== 'active' || !a.activeParties.includes(province)) continue;
    for (const p of a.activeParties) if (p !== province) partners.add(p);
  }
  return [...partners].sort();
}

function pad(s: string, width: number): string {
  return s + ' '.repeat(Math.max(0, width - displayWidth(s)));
}

/** Rows under a header, columns aligned; the last column is not padded. */
export function table(
  header: readonly string[],
  rows: readonly (readonly string[])[],
  indent = '  ',
): string {
  const all = [header, ...rows];
  const widths = header.map((_, i) => Math.max(...all.map((r) => displayWidth(r[i] ?? ''))));
  return all
    .map((r) =>
      `${indent}${r.map((c, i) => (i === r.length - 1 ? c : pad(c, widths[i] ?? 0))).join('  ')}`.trimEnd(),
    )
    .join('\n')
    .concat('\n');
}

const partyLabel = (id: string) => (id === '*' ? '* (every party)' : provinceLabel(id));

export function stateLabel(a: AgreementView, p: Paint): string {
  switch (a.state) {
    case 'active':
      return p.green('active');
    case 'proposed':
      return p.yellow('proposed');
    default:
      return p.red(a.state);
  }
}

/** `elg agreements list`: one row per agreement. */
export function agreementTable(list: readonly AgreementView[]): string {
  const rows = list.map((a) => {
    const { held, needed } = signatureCount(a);
    return [
      a.id,
      a.state,
      a.state === 'withdrawn' ? '-' : `${held}/${needed}`,
      `${a.validFrom}..${a.validUntil}`,
      a.parties.join(','),
      a.name,
    ];
  });
  return table(['ID', 'STATE', 'SIGNED', 'VALID', 'PARTIES', 'NAME'], rows);
}

/** `elg agreements show`: the whole agreement. */
export function agreementLines(a: AgreementView, p: Paint): string {
  const { held, needed } = signatureCount(a);
  const signed = new Map(a.signatures.map((s) => [s.party, s]));
  const withdrawn = new Map(a.withdrawals.map((w) => [w.party, w]));
  const out = [
    `${p.bold(a.id)}  ${a.name}\n`,
    fieldLines(
      [
        ['state', stateLabel(a, p) + stateNote(a, held, needed)],
        ['parties', a.parties.map(provinceLabel).join(', ')],
        ['proposer', `${provinceLabel(a.proposer)} at ${a.proposedAt}`],
        ['valid', `${a.validFrom} to ${a.validUntil} (China time)`],
        [
          'signatures',
          a.state === 'withdrawn'
            ? `${a.signatures.length} held, ${a.withdrawals.length} withdrawn`
            : `${held} of ${needed} remaining parties`,
        ],
      ],
      '  ',
    ),
    '\ngrants\n',
    table(
      ['GRANTOR', 'GRANTEE', 'ACTIONS', 'LICENSE TYPES', 'MATTERS', 'MAX LEVEL'],
      a.grants.map((g) => [
        partyLabel(g.grantor),
        partyLabel(g.grantee),
        g.actions.join(','),
        g.licenseTypes.join(','),
        g.matterCodes.join(','),
        String(g.maxDataLevel),
      ]),
    ),
    '\nparties\n',
    table(
      ['PARTY', 'SIGNATURE', 'WITHDRAWAL'],
      a.parties.map((party) => {
        const s = signed.get(party);
        const w = withdrawn.get(party);
        return [
          provinceLabel(party),
          s ? `signed (kid ${s.kid})` : 'not held',
          w ? `withdrew ${w.withdrawnAt}` : '',
        ];
      }),
    ),
  ];
  if (a.pendingDeliveries.length > 0) {
    out.push(
      '\npending deliveries (this province is still sending them)\n',
      table(
        ['TO', 'WHAT', 'OF', 'ATTEMPTS', 'NEXT ATTEMPT', 'LAST ERROR'],
        a.pendingDeliveries.map((d) => [
          provinceLabel(d.to),
          d.kind,
          d.party ? provinceLabel(d.party) : '',
          String(d.attempts),
          d.nextAttemptAt,
          d.lastError ?? '',
        ]),
      ),
    );
  }
  return out.join('');
}

function stateNote(a: AgreementView, held: number, needed: number): string {
  if (a.state !== 'proposed') return '';
  if (held < needed) return ` (waiting for ${needed - held} signature${needed - held === 1 ? '' : 's'})`;
  return ` (fully signed; in force from ${a.validFrom})`;
}
