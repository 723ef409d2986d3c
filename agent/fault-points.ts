/**
 * Fault points: named places between two durability steps where a test can
 * make the process die as a power loss would cut it (SIGKILL: no handler,
 * no flush). `TIDEMARK_FAULT_POINT=<name>` arms one; `TIDEMARK_FAULT_AFTER=n`
 * lets it pass n times first. Unset, a fault point is one comparison.
 */
const armed = process.env.TIDEMARK_FAULT_POINT;
let passes = Number(process.env.TIDEMARK_FAULT_AFTER ?? 0);

export function faultPoint(name: string): void {
  if (armed !== name) return;
  if (passes-- > 0) return;
  process.kill(process.pid, 'SIGKILL');
}
