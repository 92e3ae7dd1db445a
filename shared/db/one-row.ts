// The one row of a statement that always returns one (INSERT … RETURNING, UPDATE … RETURNING of
// a locked row, an aggregate): typed as present, and a clear error if the database says otherwise.
export function oneRow<T>(rows: readonly T[], what: string): T {
  const row = rows[0];
  if (row === undefined) throw new Error(`${what}: the statement returned no row`);
  return row;
}
