/**
 * A YAML file read once for the whole audit: its document (nodes with positions), its plain value
 * and a line lookup, shared by every checker that looks at it (compose, Django, dependency and
 * .gitignore checks), instead of each parsing the text again.
 */
import { LineCounter, isAlias, isMap, isPair, isScalar, isSeq, parseDocument, type Document, type Node } from 'yaml';
import { asRecord } from './util.js';

export interface YamlSource {
  path: string;
  content: string;
  doc: Document.Parsed;
  /** The plain value (merge keys applied); {} when the text is not a mapping or does not parse. */
  value: Record<string, unknown>;
  /** The YAML errors with their lines (empty when the text parses). */
  errors: { line: number; message: string }[];
  /** The 1-based line of a character offset. */
  lineAt: (offset: number | undefined) => number;
  /** Line of the key (or sequence item) at `keys`; the deepest existing ancestor if it is missing. */
  keyLine: (keys: (string | number)[]) => number;
}

/** The files of the last few audits: every checker of one run asks for the same texts. */
const recent = new Map<string, YamlSource>();
const RECENT = 64;

/** The file read once: later calls with the same path and text get the same source. Read it only. */
export function readYaml(path: string, content: string): YamlSource {
  const key = `${path}\0${content}`;
  const known = recent.get(key);
  if (known) return known;
  const source = parseYaml(path, content);
  recent.set(key, source);
  if (recent.size > RECENT) recent.delete(recent.keys().next().value!);
  return source;
}

function parseYaml(path: string, content: string): YamlSource {
  const lineCounter = new LineCounter();
  let doc: Document.Parsed;
  try {
    doc = parseDocument(content, { lineCounter, merge: true, prettyErrors: true });
  } catch (error) {
    doc = parseDocument('');
    return { path, content, doc, value: {}, errors: [{ line: 1, message: (error as Error).message }], lineAt: () => 1, keyLine: () => 1 };
  }
  const lineAt = (offset: number | undefined) => (offset === undefined ? 1 : lineCounter.linePos(offset).line);
  const keyLine = (keys: (string | number)[]): number => {
    let node: unknown = doc.contents;
    let line = 1;
    for (const key of keys) {
      if (isAlias(node)) node = node.resolve(doc);
      if (isMap(node)) {
        const pair = node.items.find((p) => isPair(p) && isScalar(p.key) && String(p.key.value) === String(key));
        if (!pair) break;
        line = lineAt((pair.key as Node).range?.[0]);
        node = pair.value;
      } else if (isSeq(node) && typeof key === 'number') {
        const item = node.items[key] as Node | undefined;
        if (!item) break;
        line = lineAt(item.range?.[0]);
        node = item;
      } else break;
    }
    return line;
  };
  if (doc.errors.length > 0) {
    const errors = doc.errors.map((e) => ({ line: e.linePos?.[0]?.line ?? 1, message: e.message.split('\n')[0]! }));
    return { path, content, doc, value: {}, errors, lineAt, keyLine };
  }
  try {
    return { path, content, doc, value: asRecord(doc.toJS({ maxAliasCount: 1000 })) ?? {}, errors: [], lineAt, keyLine };
  } catch (error) {
    return { path, content, doc, value: {}, errors: [{ line: 1, message: (error as Error).message }], lineAt, keyLine };
  }
}
