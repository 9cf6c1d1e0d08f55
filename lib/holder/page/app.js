/**
 * The holder page (GET /holder, 知情权): a license holder signs in with the bearer token of their
 * home platform, sees their licenses, and for one of them (or one another province issued, by its
 * identifier) every use, newest first, each use's proof checked here with verify.js.
 *
 * Plain JavaScript, loaded as /holder/app.js under a CSP that allows only this gateway's own files
 * and requires Trusted Types: every value from the API reaches the page through textContent or
 * setAttribute, never as markup. The token lives in this module's memory only: read from the field
 * or from the URL fragment (`#token=`, removed from the address bar at once), sent only in the
 * Authorization header of same-origin requests, never stored and never put in a URL.
 */

import { checkWitnesses, verifyUseProof } from './verify.js';

const NAMES = readNames();
const DATA_LEVELS = { 1: '1 公开', 2: '2 内部', 3: '3 敏感', 4: '4 受限' };
const OUTCOMES = { success: '成功', refused: '被拒绝', error: '出错' };
const CHECK_REASONS = {
  CHECKPOINT_MALFORMED: '日志的格式不正确',
  CHECKPOINT_ORIGIN_MISMATCH: '日志不是发证省份的日志',
  CHECKPOINT_UNSIGNED: '日志没有发证省份的签名',
  CHECKPOINT_SIGNATURE_INVALID: '日志的签名不正确',
  CHECKPOINT_KEY_PURPOSE: '日志的签名密钥不正确',
  AUDIT_KEY_INVALID: '日志的签名密钥不正确',
  PROOF_SIZE_MISMATCH: '这条记录与日志对不上',
  PROOF_MALFORMED: '这条记录与日志对不上',
  PROOF_INVALID: '这条记录与日志对不上',
  CRYPTO_UNAVAILABLE: '本浏览器不能核验，请换用新版浏览器',
  VERIFY_FAILED: '核验时出错',
  NO_PROOF: '这条记录没有附上核验信息',
};

/** The holder's token, in memory only. */
let token = '';
/** Bumped whenever another license is opened or the holder signs out: late answers are dropped. */
let generation = 0;
let licensesCursor;
let usesState;

const $ = (id) => {
  const node = document.getElementById(id);
  if (!node) throw new Error(`the page has no #${id}`);
  return node;
};

function readNames() {
  try {
    const parsed = JSON.parse(document.getElementById('holder-names')?.textContent ?? '{}');
    return { provinces: parsed.provinces ?? {}, statuses: parsed.statuses ?? {} };
  } catch {
    return { provinces: {}, statuses: {} };
  }
}

/** An element with a class and text; children appended as nodes or as text. */
function el(tag, className, ...children) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  for (const child of children) {
    if (child === undefined || child === null) continue;
    node.append(typeof child === 'string' ? document.createTextNode(child) : child);
  }
  return node;
}

/** A definition list of [label, value] rows; values are text. */
function facts(rows) {
  const dl = el('dl', 'facts');
  for (const [label, value] of rows) {
    if (value === undefined) continue;
    const row = el('div', 'fact', el('dt', '', label), el('dd', '', String(value)));
    dl.append(row);
  }
  return dl;
}

function show(node, visible = true) {
  node.hidden = !visible;
}

function say(node, text) {
  node.textContent = text ?? '';
  show(node, Boolean(text));
}

// ---- Words --------------------------------------------------------------------------------------

const pad = (n) => String(n).padStart(2, '0');

/** `2026-06-01` as 2026年6月1日. */
function dateText(date) {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(String(date ?? ''));
  return m ? `${m[1]}年${Number(m[2])}月${Number(m[3])}日` : String(date ?? '');
}

/** A timestamp in Beijing time (UTC+8, no daylight saving), e.g. 2026年6月1日 16:05. */
function beijingTime(iso) {
  const t = Date.parse(String(iso ?? ''));
  if (Number.isNaN(t)) return String(iso ?? '');
  const d = new Date(t + 8 * 3600_000);
  return (
    `${d.getUTCFullYear()}年${d.getUTCMonth() + 1}月${d.getUTCDate()}日 ` +
    `${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}`
  );
}

const provinceName = (code) => NAMES.provinces[code] ?? String(code ?? '');
const statusName = (code) => NAMES.statuses[code] ?? `其他（${String(code ?? '')}）`;

function validityText(license) {
  const from = dateText(license.validFrom);
  return license.validUntil ? `${from} 至 ${dateText(license.validUntil)}` : `${from} 起长期有效`;
}

// ---- Calls --------------------------------------------------------------------------------------

class PageError extends Error {
  constructor(message, traceId) {
    super(message);
    this.traceId = traceId;
  }
}

function messageOf(status) {
  if (status === 401) return '登录凭证无效或已过期。请回到政务服务平台重新获取后再试。';
  if (status === 403) return '您没有查看这些记录的权限。';
  if (status === 404) return '没有找到这本证照，或它不属于您。请核对证照标识。';
  if (status === 400) return '输入的内容格式不正确，请核对后再试。';
  if (status === 429) return '访问太频繁，请稍等一分钟后再试。';
  return '服务暂时不可用，请稍后再试。';
}

/** GET a same-origin JSON answer with the token; a PageError in plain words otherwise. */
async function getJson(path, params) {
  const query = params ? `?${new URLSearchParams(params)}` : '';
  let res;
  try {
    res = await fetch(`${path}${query}`, {
      method: 'GET',
      mode: 'same-origin',
      credentials: 'omit',
      cache: 'no-store',
      redirect: 'error',
      referrerPolicy: 'no-referrer',
      headers: { Authorization: `Bearer ${token}`, Accept: 'application/json' },
    });
  } catch {
    throw new PageError('网络连接失败，请检查网络后再试。');
  }
  let body;
  try {
    body = await res.json();
  } catch {
    body = undefined;
  }
  if (!res.ok) {
    const traceId = typeof body?.error?.traceId === 'string' ? body.error.traceId : undefined;
    const error = new PageError(messageOf(res.status), traceId);
    error.status = res.status;
    throw error;
  }
  if (!body || typeof body !== 'object') throw new PageError('收到的数据不完整，请稍后再试。');
  return body;
}

function errorText(err) {
  if (!(err instanceof PageError)) return '页面出错了，请刷新后再试。';
  return err.traceId ? `${err.message}（如需帮助，请向工作人员提供编号：${err.traceId}）` : err.message;
}

// ---- Signing in ---------------------------------------------------------------------------------

/** The token of `#token=...`, removed from the address bar (and so from history) at once. */
function takeTokenFromFragment() {
  if (!location.hash.startsWith('#')) return '';
  const params = new URLSearchParams(location.hash.slice(1));
  if (!params.has('token')) return '';
  const found = params.get('token') ?? '';
  params.delete('token');
  const rest = params.toString();
  history.replaceState(history.state, '', `${location.pathname}${location.search}${rest ? `#${rest}` : ''}`);
  return found.trim();
}

function signIn(value) {
  token = value;
  generation++;
  show($('sign-in'), false);
  show($('signed-in'));
  show($('uses'), false);
  loadLicenses(false);
}

function signOut(message) {
  token = '';
  generation++;
  licensesCursor = undefined;
  usesState = undefined;
  $('license-list').replaceChildren();
  $('use-list').replaceChildren();
  show($('licenses'), false);
  show($('uses'), false);
  show($('signed-in'), false);
  show($('sign-in'));
  say($('status'), '');
  say($('error'), message);
}

// ---- Licenses -----------------------------------------------------------------------------------

async function loadLicenses(more) {
  const mine = generation;
  const button = $('licenses-more');
  say($('error'), '');
  say($('status'), more ? '' : '正在读取您的证照……');
  button.disabled = true;
  if (!more) {
    $('license-list').replaceChildren();
    show($('licenses'), false);
  }
  try {
    const page = await getJson(
      '/v1/holder/licenses',
      more && licensesCursor ? { cursor: licensesCursor } : undefined,
    );
    if (mine !== generation) return;
    if (!Array.isArray(page.items)) throw new PageError('收到的数据不完整，请稍后再试。');
    licensesCursor = typeof page.cursor === 'string' ? page.cursor : undefined;
    for (const license of page.items) $('license-list').append(licenseCard(license));
    say($('status'), '');
    show($('licenses'));
    show($('licenses-empty'), $('license-list').childElementCount === 0);
    show(button, licensesCursor !== undefined);
  } catch (err) {
    if (mine !== generation) return;
    say($('status'), '');
    if (err instanceof PageError && err.status === 401) signOut(errorText(err));
    else say($('error'), errorText(err));
  } finally {
    button.disabled = false;
  }
}

function licenseFacts(license) {
  return facts([
    ['证照编号', license.number],
    ['发证机关', license.issuer?.name],
    ['持证人', license.holderName],
    ['状态', statusName(license.status)],
    ['有效期', validityText(license)],
    ['签发地', provinceName(license.province)],
  ]);
}

function licenseCard(license) {
  const item = el('li', 'card license');
  item.setAttribute('data-identifier', String(license.identifier ?? ''));
  const button = el('button', 'primary', '查看使用记录');
  button.type = 'button';
  button.addEventListener('click', () => openUses(String(license.identifier ?? '')));
  item.append(el('h3', '', String(license.typeName ?? '电子证照')), licenseFacts(license), button);
  return item;
}

// ---- Uses ---------------------------------------------------------------------------------------

function openUses(identifier) {
  generation++;
  usesState = {
    identifier,
    cursor: undefined,
    counts: { verified: 0, failed: 0, pending: 0, sealed: 0, notWitnessed: 0 },
  };
  $('use-list').replaceChildren();
  $('uses-license').replaceChildren();
  say($('uses-summary'), '');
  say($('uses-warning'), '');
  show($('uses-empty'), false);
  show($('uses-more'), false);
  show($('licenses'), false);
  show($('uses'));
  $('uses-title').focus();
  loadUses(false);
}

async function loadUses(more) {
  const mine = generation;
  const state = usesState;
  if (!state) return;
  const button = $('uses-more');
  say($('uses-error'), '');
  say($('uses-status'), more ? '正在读取更多记录……' : '正在读取使用记录……');
  button.disabled = true;
  try {
    const params = { identifier: state.identifier };
    if (more && state.cursor) params.cursor = state.cursor;
    const page = await getJson('/v1/holder/uses', params);
    if (mine !== generation) return;
    if (!Array.isArray(page.items) || !page.license || typeof page.license.province !== 'string') {
      throw new PageError('收到的数据不完整，请稍后再试。');
    }
    state.cursor = typeof page.cursor === 'string' ? page.cursor : undefined;
    if (!more) {
      $('uses-license').replaceChildren(
        el('h3', '', String(page.license.typeName ?? '电子证照')),
        licenseFacts(page.license),
        facts([['证照标识', state.identifier]]),
      );
    }
    // Newest first, as the answer should already be.
    const items = [...page.items].sort((a, b) => String(b.time).localeCompare(String(a.time)));
    for (const use of items) $('use-list').append(useItem(use, page, state, mine));
    say($('uses-status'), '');
    show($('uses-empty'), $('use-list').childElementCount === 0);
    show(button, state.cursor !== undefined);
    summarize(state);
  } catch (err) {
    if (mine !== generation) return;
    say($('uses-status'), '');
    if (err instanceof PageError && err.status === 401) signOut(errorText(err));
    else say($('uses-error'), errorText(err));
  } finally {
    button.disabled = false;
  }
}

function useItem(use, page, state, mine) {
  const item = el('li', 'use');
  item.append(el('p', 'use-time', beijingTime(use.time), el('span', 'tz', ' 北京时间')));
  if (use.sealed === true) {
    item.classList.add('use-sealed');
    item.setAttribute('data-check', 'sealed');
    item.append(
      facts([['使用地点', provinceName(use.province)]]),
      el(
        'p',
        'mark mark-sealed',
        el('span', 'mark-icon', '■ '),
        `该记录因依法调查暂不公开，${dateText(use.until)} 之后可以查看。`,
      ),
    );
    state.counts.sealed++;
    return item;
  }
  item.setAttribute('data-event-id', String(use.eventId ?? ''));
  item.append(
    facts([
      ['使用地点', provinceName(use.province)],
      ['使用单位', use.platform],
      ['办理事项', use.matterCode || '（未说明）'],
      ['使用事由', use.useCause || '（未说明）'],
      ['提供的数据级别', DATA_LEVELS[use.dataLevel] ?? '本省使用'],
      ['结果', OUTCOMES[use.outcome] ?? String(use.outcome ?? '')],
    ]),
  );
  const mark = el('p', 'mark');
  item.append(mark);
  if (use.pending === true) {
    item.setAttribute('data-check', 'pending');
    mark.classList.add('mark-pending');
    mark.append(el('span', 'mark-icon', '… '), '尚未写入日志（等待中），稍后再来查看即可核验。');
    state.counts.pending++;
    return item;
  }
  if (!use.proof) {
    markChecked(item, mark, { ok: false, code: 'NO_PROOF' }, state, generation);
    return item;
  }
  item.setAttribute('data-check', 'checking');
  mark.classList.add('mark-checking');
  mark.textContent = '正在核验……';
  const checkpoint = use.proof.checkpoint;
  verifyUseProof(use.proof, { province: page.license.province, auditKey: page.auditKey })
    .then(async (result) => {
      markChecked(item, mark, result, state, mine);
      if (result.ok) markWitnessed(item, mark, await witnessesOf(checkpoint, page.witnesses), state, mine);
    })
    .catch(() => markChecked(item, mark, { ok: false, code: 'VERIFY_FAILED' }, state, mine));
  return item;
}

/** One check per checkpoint and witnesses given: the uses of a page mostly share their checkpoint. */
const witnessChecks = new Map();
function witnessesOf(note, witnesses) {
  if (witnesses === undefined) return Promise.resolve(undefined);
  const key = `${JSON.stringify(witnesses)}\n${note}`;
  if (!witnessChecks.has(key)) {
    if (witnessChecks.size > 50) witnessChecks.clear();
    witnessChecks.set(key, checkWitnesses(note, witnesses));
  }
  return witnessChecks.get(key);
}

/**
 * Whether the verified use's checkpoint carries the cosignatures of its log's witnesses
 * (docs/protocol.md §19.5): witnessed, NOT_WITNESSED (a warning beside the proof's check), no
 * witnesses named, or not checked (the gateway gave the page no witnesses).
 */
function markWitnessed(item, mark, status, state, mine) {
  if (mine !== generation) return;
  const names = (list) => list.map((id) => provinceName(id)).join('、');
  let text;
  if (status === undefined) {
    item.setAttribute('data-witness', 'unchecked');
    text = '见证：网关未提供见证信息，未核对。';
  } else if (!status.policy) {
    item.setAttribute('data-witness', 'none');
    text = '见证：信任目录未为发证省份的日志指定见证省份。';
  } else if (status.witnessed) {
    item.setAttribute('data-witness', 'witnessed');
    text = `已获见证 ✓：${status.cosigners.length} 个见证省份联署（需要 ${status.policy.quorum} 个）：${names(status.cosigners.map((c) => c.province))}。`;
  } else {
    item.setAttribute('data-witness', 'NOT_WITNESSED');
    item.classList.add('use-not-witnessed');
    mark.classList.add('mark-unwitnessed');
    const who = status.cosigners.length > 0 ? `：${names(status.cosigners.map((c) => c.province))}` : '';
    text = `未获足够见证 NOT_WITNESSED ✗：只有 ${status.cosigners.length} 个见证省份联署${who}，需要 ${status.policy.quorum} 个（见证省份：${names(status.policy.witnesses)}）。发证省份的日志可能向不同的人显示了不同的内容。`;
    state.counts.notWitnessed++;
  }
  mark.append(el('span', 'mark-detail mark-witness', text));
  summarize(state);
}

function markChecked(item, mark, result, state, mine) {
  mark.classList.remove('mark-checking');
  if (result.ok) {
    item.setAttribute('data-check', 'verified');
    mark.classList.add('mark-ok');
    mark.replaceChildren(
      el('strong', '', '已在日志中核验 ✓'),
      el('span', 'mark-detail', '这条记录已写入发证省份不可篡改的审计日志。'),
    );
    if (mine === generation) state.counts.verified++;
  } else {
    item.setAttribute('data-check', 'failed');
    item.setAttribute('data-check-code', String(result.code));
    item.classList.add('use-failed');
    mark.classList.add('mark-bad');
    mark.replaceChildren(
      el('strong', '', '核验失败 ✗'),
      el('span', 'mark-detail', `${CHECK_REASONS[result.code] ?? CHECK_REASONS.VERIFY_FAILED}。`),
    );
    if (mine === generation) state.counts.failed++;
  }
  if (mine === generation) summarize(state);
}

function summarize(state) {
  const total = $('use-list').childElementCount;
  if (total === 0) {
    say($('uses-summary'), '');
    say($('uses-warning'), '');
    return;
  }
  const { verified, failed, pending, sealed, notWitnessed } = state.counts;
  const checking = total - verified - failed - pending - sealed;
  const parts = [`已显示 ${total} 条记录`, `${verified} 条已核验`];
  if (failed) parts.push(`${failed} 条核验失败`);
  if (notWitnessed) parts.push(`${notWitnessed} 条未获足够见证 (NOT_WITNESSED)`);
  if (pending) parts.push(`${pending} 条等待写入日志`);
  if (sealed) parts.push(`${sealed} 条暂不公开`);
  if (checking > 0) parts.push(`${checking} 条正在核验`);
  say($('uses-summary'), `${parts.join('，')}。`);
  say(
    $('uses-warning'),
    failed
      ? `有 ${failed} 条记录没有通过核验，记录可能被改动过。请联系发证机关，或拨打 12345 政务服务便民热线。`
      : notWitnessed
        ? `有 ${notWitnessed} 条记录所在的日志没有获得足够的见证省份联署 (NOT_WITNESSED)，无法排除日志被改写。请联系发证机关，或拨打 12345 政务服务便民热线。`
        : '',
  );
}

// ---- Wiring -------------------------------------------------------------------------------------

function start() {
  $('token-form').addEventListener('submit', (event) => {
    event.preventDefault();
    const input = $('token-input');
    const value = input.value.trim();
    input.value = '';
    if (!value) {
      say($('error'), '请先粘贴登录凭证。');
      return;
    }
    signIn(value);
  });
  $('sign-out').addEventListener('click', () => signOut(''));
  $('licenses-more').addEventListener('click', () => loadLicenses(true));
  $('uses-more').addEventListener('click', () => loadUses(true));
  $('back').addEventListener('click', () => {
    generation++;
    usesState = undefined;
    show($('uses'), false);
    show($('licenses'));
  });
  $('lookup-form').addEventListener('submit', (event) => {
    event.preventDefault();
    const value = $('identifier-input').value.trim();
    if (!value) {
      say($('error'), '请先输入证照标识。');
      return;
    }
    say($('error'), '');
    openUses(value);
  });
  const fromFragment = takeTokenFromFragment();
  if (fromFragment) signIn(fromFragment);
}

start();
