/**
 * What generation says once the answers are final: how gunicorn.conf.py and the command line
 * combine, and whether the Django settings would run with DEBUG on under the stack's environment
 * (and which --env switches production on). Detection's notes say what was found; these say what
 * the chosen answers lead to.
 */
import type { Answers } from './types.js';
import type { ProjectFacts } from './schema.js';
import { describeGunicornConf } from './app-detect.js';
import { debugWith, productionOn } from './django-switch.js';
import { envEntries } from './settings.js';
import { stackEnv } from './wiring.js';

function describeDebug(a: Answers, facts: ProjectFacts): string[] {
  const sw = facts.django?.switch;
  if (a.framework !== 'django' || !sw?.debug) return [];
  const given = envEntries(a.env);
  const env = new Map<string, string>([...stackEnv(a).map((n) => [n, 'set'] as [string, string]), ...given.map((e) => [e.name, e.value] as [string, string])]);
  const debug = debugWith(sw, env);
  const where = `${sw.file}:${sw.debug.line}: ${sw.debug.source}`;
  if (debug === true) {
    const on = productionOn(sw, env);
    const cause = given.find((e) => sw.variables.includes(e.name));
    return [
      `warning: the app would run with DEBUG on (${where})` +
        (cause ? `, because of --env ${cause.name}=${cause.value}` : '') +
        (on ? `: pass --env ${on.name}=${on.value} to switch production on` : ': set the variable the settings read so DEBUG is off'),
    ];
  }
  if (debug === false) {
    const wired = new Set((facts.django?.settingsEnv ?? []).filter((s) => s.kind === 'debug').map((s) => s.name));
    const switched = given.find((e) => sw.variables.includes(e.name) && !wired.has(e.name));
    if (switched) return [`production on: ${switched.name}=${switched.value} turns DEBUG off (${where})`];
  }
  return [];
}

export function generationNotes(a: Answers, facts: ProjectFacts): string[] {
  return [...describeGunicornConf(a, facts.app), ...describeDebug(a, facts)];
}
