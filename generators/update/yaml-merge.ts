/**
 * Structural three-way merge of YAML documents (docker-compose*.yml) with the yaml Document API,
 * so that a user's added service, key or comment survives a regeneration. The user's document is
 * the one that is edited and printed: their nodes keep their comments and styles; what the
 * generator changed is grafted in from the new rendering's nodes (which carry our comments).
 *
 * For each key path: generator unchanged -> the user's; user unchanged -> the new rendering's;
 * both changed the same way -> either; both maps -> per key; both sequences -> a diff3 of their
 * items (set-like keys such as `networks` take both sides' additions); otherwise a conflict.
 * A conflict cannot be written into YAML structurally: the caller falls back to a line merge.
 */
import { diff3MergeRegions } from 'node-diff3';
import { isAlias, isMap, isNode, isPair, isScalar, isSeq, parseAllDocuments, parseDocument, visit, type Document, type Pair, type YAMLMap, type YAMLSeq } from 'yaml';

export type YamlMergeResult =
  | { kind: 'merged'; text: string }
  /** Key paths where both sides changed the same value differently. */
  | { kind: 'conflict'; paths: string[] }
  /** Not mergeable structurally (parse errors, anchors/aliases, several documents, a non-map root). */
  | { kind: 'unsupported'; reason: string };

/** Sequences whose order carries no meaning in Compose: both sides' additions are kept. */
const SET_LIKE = new Set([
  'networks', 'secrets', 'configs', 'volumes', 'ports', 'expose', 'cap_add', 'cap_drop', 'security_opt', 'tmpfs',
  'devices', 'group_add', 'dns', 'dns_search', 'extra_hosts', 'env_file', 'profiles', 'depends_on', 'links',
  'environment', 'labels', 'external_links', 'sysctls',
]);

const PRINT_OPTIONS = { lineWidth: 0, indentSeq: true } as const;

type Value = unknown; // a yaml Node, null (`key:` without a value) or undefined (absent)

/** Plain JS for comparisons (anchors are refused up front, so no document context is needed). */
function js(value: Value): unknown {
  if (value === undefined || value === null) return value;
  if (isNode(value)) return (value as { toJSON: () => unknown }).toJSON();
  return value;
}

/** A canonical string of a JS value: map key order does not matter, sequence order does. */
function canon(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canon).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canon(v)}`).join(',')}}`;
  }
  return value === undefined ? 'undefined' : JSON.stringify(value);
}

function same(a: Value, b: Value): boolean {
  return canon(js(a)) === canon(js(b));
}

function isEmpty(value: Value): boolean {
  return value === undefined || value === null || (isScalar(value) && value.value === null);
}

function keyOf(pair: Pair): string {
  return isScalar(pair.key) ? String(pair.key.value) : canon(js(pair.key));
}

function findPair(map: YAMLMap | undefined, key: string): Pair | undefined {
  return map?.items.find((p) => keyOf(p as Pair) === key) as Pair | undefined;
}

type Commented = { commentBefore?: string | null; comment?: string | null; spaceBefore?: boolean };
const COMMENT_FIELDS = ['commentBefore', 'comment', 'spaceBefore'] as const;

/** Comments the user added or changed on `yours` (relative to `base`) move onto `target`. */
function carryComments(yours: Value, base: Value, target: Value): void {
  if (!isNode(yours) || !isNode(target)) return;
  const y = yours as Commented;
  const b = (isNode(base) ? base : {}) as Commented;
  const t = target as Commented;
  for (const field of COMMENT_FIELDS) {
    if ((y[field] ?? undefined) !== (b[field] ?? undefined)) (t as Record<string, unknown>)[field] = y[field];
  }
}

/** Comments the user left as generated follow the generator (e.g. a reworded explanation). */
function refreshComments(yours: Value, base: Value, next: Value): void {
  if (!isNode(yours) || !isNode(next)) return;
  const y = yours as unknown as Record<string, unknown>;
  const b = (isNode(base) ? base : {}) as Record<string, unknown>;
  const n = next as unknown as Record<string, unknown>;
  for (const field of COMMENT_FIELDS) {
    if ((y[field] ?? undefined) === (b[field] ?? undefined)) y[field] = n[field];
  }
}

class Merger {
  readonly conflicts: string[] = [];

  value(path: string[], base: Value, yours: Value, next: Value): Value {
    if (isMap(yours) && isMap(next) && (isEmpty(base) || isMap(base))) {
      return this.maps(path, isMap(base) ? base : undefined, yours, next);
    }
    if (isSeq(yours) && isSeq(next) && (isEmpty(base) || isSeq(base))) {
      return this.seqs(path, isSeq(base) ? base : undefined, yours, next);
    }
    if (same(next, base)) return yours;
    if (same(yours, base)) {
      carryComments(yours, base, next);
      return next;
    }
    if (same(yours, next)) return yours;
    this.conflicts.push(path.join('.') || '(root)');
    return yours;
  }

  maps(path: string[], base: YAMLMap | undefined, yours: YAMLMap, next: YAMLMap): YAMLMap {
    refreshComments(yours, base, next);
    for (const pair of [...yours.items] as Pair[]) {
      const key = keyOf(pair);
      const basePair = findPair(base, key);
      const nextPair = findPair(next, key);
      if (!nextPair && !basePair) continue; // the user's own key
      const merged = this.value([...path, key], basePair?.value, pair.value, nextPair?.value);
      if (merged === undefined) {
        yours.items.splice(yours.items.indexOf(pair), 1);
        continue;
      }
      pair.value = merged;
      if (nextPair) refreshComments(pair.key, basePair?.key, nextPair.key);
    }
    // Keys the user does not have: the generator's additions, or keys the user deleted.
    const nextItems = next.items as Pair[];
    nextItems.forEach((nextPair, index) => {
      const key = keyOf(nextPair);
      if (findPair(yours, key)) return;
      const basePair = findPair(base, key);
      if (basePair) {
        // The user deleted it: it stays deleted unless the generator changed it meanwhile.
        if (!same(basePair.value, nextPair.value)) this.conflicts.push([...path, key].join('.'));
        return;
      }
      yours.items.splice(this.insertAt(yours, base, nextItems, index), 0, nextPair);
    });
    return yours;
  }

  /** After the closest preceding generated key, and after any keys the user added right behind it. */
  private insertAt(yours: YAMLMap, base: YAMLMap | undefined, nextItems: Pair[], index: number): number {
    const items = yours.items as Pair[];
    let at = 0;
    for (let i = index - 1; i >= 0; i--) {
      const found = items.findIndex((p) => keyOf(p) === keyOf(nextItems[i]!));
      if (found >= 0) {
        at = found + 1;
        break;
      }
    }
    const generated = new Set(nextItems.map(keyOf));
    while (at < items.length && !generated.has(keyOf(items[at]!)) && !findPair(base, keyOf(items[at]!))) at++;
    return at;
  }

  seqs(path: string[], base: YAMLSeq | undefined, yours: YAMLSeq, next: YAMLSeq): YAMLSeq {
    refreshComments(yours, base, next);
    const keys = (seq: YAMLSeq | undefined) => (seq?.items ?? []).map((item) => canon(js(item)));
    const a = keys(yours);
    const o = keys(base);
    const b = keys(next);
    const setLike = SET_LIKE.has(path[path.length - 1] ?? '');
    const merged: string[] = [];
    for (const region of diff3MergeRegions(a, o, b)) {
      if (region.stable) {
        merged.push(...region.bufferContent);
        continue;
      }
      const { aContent, oContent, bContent } = region;
      const eq = (x: string[], y: string[]) => x.length === y.length && x.every((v, i) => v === y[i]);
      if (eq(aContent, bContent) || eq(bContent, oContent)) merged.push(...aContent);
      else if (eq(aContent, oContent)) merged.push(...bContent);
      else if (setLike && (oContent.every((v) => aContent.includes(v)) || oContent.every((v) => bContent.includes(v)))) {
        // Both sides changed the same stretch, at most one of them removing items (both replacing
        // an item, e.g. a port mapping changed two ways, is a conflict): keep what either added,
        // drop what one removed.
        const removed = new Set(oContent.filter((v) => !aContent.includes(v) || !bContent.includes(v)));
        for (const v of [...aContent, ...bContent]) if (!removed.has(v) && !merged.includes(v)) merged.push(v);
      } else {
        this.conflicts.push(path.join('.'));
        return yours;
      }
    }
    // The user's item nodes first (their comments), then the generator's.
    const pool = new Map<string, unknown[]>();
    for (const item of [...next.items].reverse()) pool.set(canon(js(item)), [item, ...(pool.get(canon(js(item))) ?? [])]);
    const userPool = new Map<string, unknown[]>();
    for (const item of [...yours.items].reverse()) userPool.set(canon(js(item)), [item, ...(userPool.get(canon(js(item))) ?? [])]);
    yours.items = merged.map((k) => userPool.get(k)?.shift() ?? pool.get(k)?.shift()) as typeof yours.items;
    return yours;
  }
}

function problem(doc: Document, label: string): string | undefined {
  if (doc.errors.length > 0) return `${label} does not parse: ${doc.errors[0]!.message.split('\n')[0]}`;
  let alias = false;
  visit(doc, {
    Node(_key, node) {
      if (isAlias(node) || (isNode(node) && (node as { anchor?: string }).anchor)) alias = true;
    },
    Pair(_key, pair) {
      if (isPair(pair) && isScalar(pair.key) && pair.key.value === '<<') alias = true;
    },
  });
  if (alias) return `${label} uses anchors, aliases or merge keys`;
  if (!isMap(doc.contents)) return `${label} is not a mapping`;
  return undefined;
}

function parseOne(text: string, label: string): Document | string {
  if (parseAllDocuments(text).length > 1) return `${label} holds several YAML documents`;
  const doc = parseDocument(text);
  return problem(doc, label) ?? doc;
}

/**
 * `base` undefined: there is no pristine copy (a project generated before they were kept, or a
 * file the user wrote themselves): both sides count as additions to an empty document.
 */
export function mergeYaml(yours: string, base: string | undefined, next: string): YamlMergeResult {
  const y = parseOne(yours, 'your version');
  if (typeof y === 'string') return { kind: 'unsupported', reason: y };
  const n = parseOne(next, 'the new rendering');
  if (typeof n === 'string') return { kind: 'unsupported', reason: n };
  const b = base === undefined ? undefined : parseOne(base, 'the previous rendering');
  if (typeof b === 'string') return { kind: 'unsupported', reason: b };
  const merger = new Merger();
  merger.maps([], b?.contents as YAMLMap | undefined, y.contents as YAMLMap, n.contents as YAMLMap);
  if (merger.conflicts.length > 0) return { kind: 'conflict', paths: merger.conflicts };
  // Document-level comments (our header) follow the generator unless the user changed them.
  if ((y.commentBefore ?? null) === (b?.commentBefore ?? null)) y.commentBefore = n.commentBefore;
  if ((y.comment ?? null) === (b?.comment ?? null)) y.comment = n.comment;
  const text = y.toString(PRINT_OPTIONS);
  const check = parseDocument(text);
  if (check.errors.length > 0) return { kind: 'unsupported', reason: `the merged document does not parse: ${check.errors[0]!.message.split('\n')[0]}` };
  return { kind: 'merged', text };
}
