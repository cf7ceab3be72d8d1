/**
 * Fault injection for crash tests: with HEIRLOOM_CRASH_AT=<name> the process kills itself (SIGKILL,
 * no cleanup, like a power cut) when it reaches that point. Unset in normal operation.
 */
export function crashPoint(name: string): void {
  if (process.env.HEIRLOOM_CRASH_AT === name) process.kill(process.pid, 'SIGKILL');
}
