/**
 * GitHub Actions workflows (.github/workflows/*.yml): unpinned actions, expression injection into
 * scripts, pull_request_target, checkout credentials and token permissions (CI-01..CI-05).
 */
import { LineCounter, isMap, isScalar, isSeq, parseDocument, type Node, type YAMLMap } from 'yaml';
import { finding } from './rules.js';
import type { Finding } from './types.js';

/** .github/workflows/<name>.yml or .yaml, at the project root. */
export function isWorkflowFile(path: string): boolean {
  return /^\.github\/workflows\/[^/]+\.ya?ml$/.test(path);
}

const FULL_SHA = /@[0-9a-f]{40}$/;
/** Contexts an outsider controls: event payload fields and the pull request's branch name. */
const UNTRUSTED = /\$\{\{[^}]*\b(github\.event\.|github\.head_ref\b)[^}]*\}\}/;

function get(map: unknown, key: string): unknown {
  return isMap(map) ? (map as YAMLMap).get(key, true) : undefined;
}

/** The trigger names under `on:` (a word, a list or a map), each with its node for the line. */
function triggers(on: unknown): { name: string; node: unknown }[] {
  if (isScalar(on)) return [{ name: String(on.value), node: on }];
  if (isSeq(on)) return on.items.filter(isScalar).map((s) => ({ name: String(s.value), node: s }));
  if (isMap(on)) return on.items.map((p) => ({ name: isScalar(p.key) ? String(p.key.value) : '', node: p.key }));
  return [];
}

export function auditWorkflow(path: string, content: string): Finding[] {
  const lineCounter = new LineCounter();
  const doc = parseDocument(content, { lineCounter, uniqueKeys: false });
  if (doc.errors.length > 0 || !isMap(doc.contents)) return []; // not YAML we can read: other tools say so
  const out: Finding[] = [];
  const lineOf = (node: unknown) => {
    const offset = (node as Node | undefined)?.range?.[0];
    return offset === undefined ? 1 : lineCounter.linePos(offset).line;
  };
  const root = doc.contents;
  const on = root.items.find((p) => isScalar(p.key) && (p.key.value === 'on' || p.key.value === true));
  const target = on ? triggers(on.value).find((t) => t.name === 'pull_request_target') : undefined;
  if (target) out.push(finding('CI-03', path, lineOf(target.node), 'the workflow runs on pull_request_target'));
  const topPermissions = get(root, 'permissions');
  if (isScalar(topPermissions) && topPermissions.value === 'write-all') out.push(finding('CI-05', path, lineOf(topPermissions), 'permissions: write-all'));
  const jobs = get(root, 'jobs');
  if (!isMap(jobs)) return out;
  for (const pair of jobs.items) {
    const job = pair.value;
    const name = isScalar(pair.key) ? String(pair.key.value) : '?';
    const permissions = get(job, 'permissions');
    if (topPermissions === undefined && permissions === undefined && get(job, 'uses') === undefined) {
      out.push(finding('CI-05', path, lineOf(pair.key), `job "${name}" runs with the repository's default token permissions (no permissions: here or at the top)`));
    } else if (isScalar(permissions) && permissions.value === 'write-all') {
      out.push(finding('CI-05', path, lineOf(permissions), `job "${name}": permissions: write-all`));
    }
    const reusable = get(job, 'uses');
    if (isScalar(reusable) && !String(reusable.value).startsWith('./') && !FULL_SHA.test(String(reusable.value))) {
      out.push(finding('CI-01', path, lineOf(reusable), `job "${name}" calls ${String(reusable.value)}`));
    }
    const steps = get(job, 'steps');
    if (!isSeq(steps)) continue;
    for (const step of steps.items) out.push(...auditStep(path, name, step, lineOf));
  }
  return out;
}

function auditStep(path: string, job: string, step: unknown, lineOf: (node: unknown) => number): Finding[] {
  const out: Finding[] = [];
  const uses = get(step, 'uses');
  const action = isScalar(uses) ? String(uses.value) : '';
  if (action && !action.startsWith('./')) {
    const pinned = action.startsWith('docker://') ? /@sha256:[0-9a-f]{64}$/.test(action) : FULL_SHA.test(action);
    if (!pinned) out.push(finding('CI-01', path, lineOf(uses), `job "${job}" uses ${action}`));
  }
  const inputs = get(step, 'with');
  if (/^actions\/checkout@/.test(action)) {
    const persist = get(inputs, 'persist-credentials');
    if (!(isScalar(persist) && (persist.value === false || persist.value === 'false'))) {
      out.push(finding('CI-04', path, lineOf(uses), `job "${job}": checkout without persist-credentials: false`));
    }
  }
  const scripts = [get(step, 'run'), /^actions\/github-script@/.test(action) ? get(inputs, 'script') : undefined];
  for (const script of scripts) {
    if (!isScalar(script)) continue;
    const m = UNTRUSTED.exec(String(script.value));
    if (m) out.push(finding('CI-02', path, lineOf(script), `job "${job}" expands ${m[0]} into a script`));
  }
  return out;
}
