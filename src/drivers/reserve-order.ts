/**
 * The order reserve hands jobs out in: lower priority first, then oldest (ids are ULIDs).
 * SQL `RETURNING` has no order of its own, so the SQL drivers sort what it gives back.
 */
export function byPriorityThenId(
  a: { priority: number; id: string },
  b: { priority: number; id: string },
): number {
  return a.priority - b.priority || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
}
