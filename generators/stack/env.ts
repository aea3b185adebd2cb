/**
 * The app's settings (`--env NAME=VALUE`) resolved once, against the endpoints the active modules
 * serve. Plain facts (the database host, its name) are written as they are. Anything that holds a
 * secret becomes a token such as `{secret-url:db_password}`, which the image's entrypoint
 * (templates/entrypoint.py) replaces with the secret file's content when the container starts, so no
 * password is ever in docker-compose.yml, .env, the image or `docker inspect`.
 */
import type { EnvEntry } from '../answers/settings.js';
import type { EndpointKey } from '../answers/placeholders.js';
import type { Endpoint, EnvRef, EnvSetting } from './types.js';

/** What every secret is at build time: visible in the static stage's history, and worth nothing. */
export const BUILD_ONLY_SECRET = 'build-only-not-a-secret';

/** A token the entrypoint fills: raw, or percent-encoded where it sits in a URL's user-info. */
export function secretToken(secret: string, inUrl: boolean): string {
  return `{${inUrl ? 'secret-url' : 'secret'}:${secret}}`;
}

/** `scheme://user:{secret-url:...}@host:port/name`: the password always percent-encoded. */
export function endpointUrl(e: Endpoint): string {
  return `${e.scheme}://${e.user}:${secretToken(e.secret, true)}@${e.host}:${e.port}/${e.name}`;
}

function fact(e: Endpoint, means: Exclude<EndpointKey, 'password' | 'url'>): string {
  return means === 'port' ? String(e.port) : e[means];
}

function refFor(
  placeholder: NonNullable<EnvEntry['parts'][number]['placeholder']>,
  inUrl: boolean,
  endpoints: ReadonlyMap<string, Endpoint>,
  whole: boolean,
): EnvRef {
  if (placeholder.kind === 'secret') {
    return { kind: 'secret', placeholder: placeholder.text, secret: placeholder.name, inUrl, buildValue: BUILD_ONLY_SECRET };
  }
  const endpoint = endpoints.get(placeholder.family.family);
  // answers/schema.ts crossValidate refuses a family without its service before anything renders.
  if (!endpoint) throw new Error(`${placeholder.text} has no service in this stack`);
  const means = placeholder.key.means;
  if (means === 'url') {
    return { kind: 'url', placeholder: placeholder.text, endpoint, buildValue: whole ? endpoint.buildUrl : endpoint.buildUrlInText };
  }
  if (means === 'password') {
    return { kind: 'secret', placeholder: placeholder.text, secret: endpoint.secret, inUrl, buildValue: BUILD_ONLY_SECRET };
  }
  const value = fact(endpoint, means);
  return { kind: 'fact', placeholder: placeholder.text, value, buildValue: value };
}

function composeText(ref: EnvRef): string {
  switch (ref.kind) {
    case 'text':
      return ref.text.replace(/\$/g, '$$$$');
    case 'fact':
      return ref.value;
    case 'secret':
      return secretToken(ref.secret, ref.inUrl);
    case 'url':
      return endpointUrl(ref.endpoint);
  }
}

function buildText(ref: EnvRef): string {
  return ref.kind === 'text' ? ref.text : ref.buildValue;
}

/** One --env entry, resolved. */
export function resolveSetting(entry: EnvEntry, endpoints: ReadonlyMap<string, Endpoint>): EnvSetting {
  // A value that is nothing but a URL placeholder gets the service's build-time stand-in URL.
  const meaningful = entry.parts.filter((p) => p.placeholder || (p.text ?? '').trim() !== '');
  const whole = meaningful.length === 1 && meaningful[0]!.placeholder !== undefined;
  const refs: EnvRef[] = entry.parts.map((part) =>
    part.placeholder ? refFor(part.placeholder, part.inUrlUserInfo ?? false, endpoints, whole) : { kind: 'text', text: part.text ?? '' },
  );
  const secrets = new Set<string>();
  for (const ref of refs) {
    if (ref.kind === 'secret') secrets.add(ref.secret);
    if (ref.kind === 'url') secrets.add(ref.endpoint.secret);
  }
  return {
    name: entry.name,
    raw: entry.value,
    refs,
    secrets: [...secrets],
    value: refs.map(composeText).join(''),
    buildValue: whole && refs.some((r) => r.kind === 'url') ? refs.find((r) => r.kind === 'url')!.buildValue : refs.map(buildText).join(''),
  };
}
