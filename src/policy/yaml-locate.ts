import { type Document, isMap, isNode, isPair, isScalar, type LineCounter } from 'yaml';

export type Position = { line: number; column: number };

function position(lc: LineCounter, node: unknown): Position | undefined {
  if (!isNode(node) || node.range === undefined || node.range === null) return undefined;
  const { line, col } = lc.linePos(node.range[0]);
  return { line, column: col };
}

/** The key node of the map entry at `path` (`target` in `target: {...}`), when it exists. */
function keyNode(doc: Document, path: readonly unknown[]): unknown {
  if (path.length === 0) return undefined;
  const parent = path.length === 1 ? doc.contents : doc.getIn(path.slice(0, -1), true);
  if (!isMap(parent)) return undefined;
  const last = path[path.length - 1];
  const pair = parent.items.find((p) => isPair(p) && (isScalar(p.key) ? p.key.value : p.key) === last);
  return pair?.key;
}

/**
 * Where a YAML path lives: the value node at `path` (or its key, for unknown keys); when the path does not
 * exist (a required key is missing) the nearest existing parent, pointing at its key rather than its body.
 */
export function locate(
  doc: Document,
  lc: LineCounter,
  path: readonly PropertyKey[],
  atKey = false,
): Position | undefined {
  if (atKey) {
    const found = position(lc, keyNode(doc, path));
    if (found !== undefined) return found;
  }
  for (let n = path.length; n > 0; n--) {
    const sub = path.slice(0, n);
    if (n === path.length) {
      const exact = position(lc, doc.getIn(sub, true));
      if (exact !== undefined) return exact;
    }
    const key = typeof sub[n - 1] === 'number' ? doc.getIn(sub, true) : keyNode(doc, sub);
    const found = position(lc, key);
    if (found !== undefined) return found;
  }
  return position(lc, doc.contents);
}
