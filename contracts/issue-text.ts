/**
 * The first problem of a failed parse as one line of text. Structural, so it takes zod's errors
 * and lists of FieldIssue alike.
 */
export interface IssueLike {
  readonly path: readonly PropertyKey[];
  readonly message: string;
}

export interface IssuesLike {
  readonly issues: readonly IssueLike[];
}

export interface IssueTextOptions {
  /** What an empty path is called; `''` leaves the path out. Default `(root)`. */
  root?: string;
}

const ROOT = '(root)';

/** The first issue, if there is one. */
export function firstIssue(error: IssuesLike): IssueLike | undefined {
  return error.issues[0];
}

/** An issue's path as dotted text (`parties.1`), or `root` when the path is empty or missing. */
export function issuePath(issue: IssueLike | undefined, { root = ROOT }: IssueTextOptions = {}): string {
  return issue?.path.length ? issue.path.map(String).join('.') : root;
}

/**
 * The first issue as `path: message`, its path named by `root` when empty (with `root: ''`, the
 * message alone); `invalid` when there is no issue at all.
 */
export function firstIssueText(error: IssuesLike, options: IssueTextOptions = {}): string {
  const issue = firstIssue(error);
  const where = issuePath(issue, options);
  const message = issue?.message ?? 'invalid';
  return where ? `${where}: ${message}` : message;
}
