/**
 * Swarm roles: rolling (replicated app and worker), stateful (one task pinned with its volume),
 * job (the migration, once per deploy). Known services take their module's role; any other
 * service is classified by shape, so hand-added services in a compose file get a sensible one.
 */
import type { ComposeService, Role } from './types.js';

/** Whether a compose volume entry names a volume (not a bind mount of a path). */
export function isNamedVolume(v: unknown): boolean {
  return typeof v === 'string' && !/^[./~]/.test(v);
}

/** Role by service name; anything else: stateful when it mounts a named volume, else rolling. */
export function roleOf(name: string, service: ComposeService, known: Record<string, Role>): Role {
  const volumes = Array.isArray(service.volumes) ? service.volumes : [];
  // A named volume (the app's writable state too) lives on one node: one task, pinned, stop-first.
  const stateful = volumes.some(isNamedVolume);
  const role = known[name];
  if (role === 'job') return role;
  return stateful ? 'stateful' : (role ?? 'rolling');
}
