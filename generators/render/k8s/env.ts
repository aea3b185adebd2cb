/**
 * The settings of app, worker and migrate on Kubernetes: the same resolved --env values as compose
 * (stack/env.ts), in a ConfigMap read with envFrom. Secrets stay tokens ({secret:db_password}) that
 * the image's entrypoint fills from /run/secrets at start, exactly as under compose. With a database
 * outside the cluster (--external-db), its host, port, user and name come from the Secret the user
 * creates, as env entries; a value that uses them is composed by Kubernetes' $(VAR) expansion.
 */
import { createHash } from 'node:crypto';
import { lookupPlaceholder, type EndpointKey } from '../../answers/placeholders.js';
import { secretToken } from '../../stack/env.js';
import type { EnvRef, EnvSetting, StackModel } from '../../stack/types.js';
import { CONFIG_NAME, EXTERNAL_DB_SECRET, meta } from './common.js';

/** The external database's facts: env name and the key of the user's Secret. */
const EXTERNAL_FACTS: Record<Exclude<EndpointKey, 'password' | 'url'>, { env: string; key: string }> = {
  host: { env: 'EXTERNAL_DB_HOST', key: 'host' },
  port: { env: 'EXTERNAL_DB_PORT', key: 'port' },
  user: { env: 'EXTERNAL_DB_USER', key: 'user' },
  name: { env: 'EXTERNAL_DB_NAME', key: 'name' },
};
/** What the database module's own settings mean (postgres.ts POSTGRES_*), to take them from that Secret. */
const MODULE_FACTS: Record<string, keyof typeof EXTERNAL_FACTS> = {
  POSTGRES_HOST: 'host',
  POSTGRES_PORT: 'port',
  POSTGRES_DB: 'name',
  POSTGRES_USER: 'user',
};

export function externalDb(model: StackModel): boolean {
  return model.answers.kubeDb === 'external' && model.answers.database !== 'none';
}

/** Literal `$(` written as `$$(`: Kubernetes expands $(VAR) in env values, and must not in the user's text. */
function literal(text: string): string {
  return text.replace(/\$\(/g, () => '$$(');
}

function refText(ref: EnvRef, external: boolean): { text: string; expands: boolean } {
  switch (ref.kind) {
    case 'text':
      return { text: ref.text, expands: false };
    case 'secret':
      return { text: secretToken(ref.secret, ref.inUrl), expands: false };
    case 'fact': {
      const p = lookupPlaceholder(...(ref.placeholder.slice(1, -1).split('.') as [string, string]));
      if (external && p?.kind === 'service' && p.family.family === 'db' && p.key.means in EXTERNAL_FACTS) {
        return { text: `$(${EXTERNAL_FACTS[p.key.means as keyof typeof EXTERNAL_FACTS].env})`, expands: true };
      }
      return { text: ref.value, expands: false };
    }
    case 'url': {
      const e = ref.endpoint;
      const password = secretToken(e.secret, true);
      if (external && e.family === 'db') {
        return { text: `${e.scheme}://$(EXTERNAL_DB_USER):${password}@$(EXTERNAL_DB_HOST):$(EXTERNAL_DB_PORT)/$(EXTERNAL_DB_NAME)`, expands: true };
      }
      return { text: `${e.scheme}://${e.user}:${password}@${e.host}:${e.port}/${e.name}`, expands: false };
    }
  }
}

/** One --env setting for Kubernetes: its value, and whether it needs $(VAR) expansion (an env entry). */
export function kubeSetting(s: EnvSetting, external: boolean): { value: string; expands: boolean } {
  const parts = s.refs.map((r) => refText(r, external));
  const expands = parts.some((p) => p.expands);
  return { value: parts.map((p, i) => (expands && s.refs[i]!.kind === 'text' ? literal(p.text) : p.text)).join(''), expands };
}

export interface KubeEnv {
  /** What the ConfigMap holds (read with envFrom, never expanded). */
  config: Record<string, string>;
  /** Env entries before envFrom's: the external database's facts and the values built from them. */
  env: Record<string, unknown>[];
}

export function kubeEnv(model: StackModel): KubeEnv {
  const external = externalDb(model);
  const config: Record<string, string> = {};
  const env: Record<string, unknown>[] = [];
  const settingNames = new Set(model.settings.map((s) => s.name));
  if (external) {
    for (const fact of Object.values(EXTERNAL_FACTS)) {
      env.push({ name: fact.env, valueFrom: { secretKeyRef: { name: EXTERNAL_DB_SECRET, key: fact.key } } });
    }
  }
  for (const [name, value] of Object.entries(model.appEnv)) {
    if (settingNames.has(name)) continue;
    const fact = MODULE_FACTS[name];
    if (external && fact) env.push({ name, value: `$(${EXTERNAL_FACTS[fact].env})` });
    else config[name] = value;
  }
  for (const s of model.settings) {
    const k = kubeSetting(s, external);
    if (k.expands) env.push({ name: s.name, value: k.value });
    else config[s.name] = k.value;
  }
  return { config, env };
}

/** A digest of the settings for the pod template: a changed ConfigMap rolls the pods on the next apply. */
export function configDigest(config: Record<string, string>): string {
  return createHash('sha256').update(JSON.stringify(Object.entries(config).sort())).digest('hex').slice(0, 16);
}

export function configMap(model: StackModel, config: Record<string, string>) {
  return {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: meta(model, CONFIG_NAME, 'config'),
    data: config,
  };
}
