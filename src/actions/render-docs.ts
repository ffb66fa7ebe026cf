import YAML from 'yaml';
import { describeAction } from './describe.js';
import { builtinActions } from './registry.js';
import type { AnyAction } from './types.js';

// docs/actions.md and the README's action table, generated from the registry (`npm run generate`
// rewrites every generated part); a test fails when they and the registry disagree.

type Property = {
  type?: string | string[];
  enum?: unknown[];
  anyOf?: Property[];
  description?: string;
  default?: unknown;
  additionalProperties?: unknown;
};

const cell = (text: string) => text.replace(/\|/g, '\\|').replace(/\n/g, ' ');

function typeOf(p: Property): string {
  if (p.enum) return p.enum.map((v) => `\`${String(v)}\``).join(' \\| ');
  if (p.anyOf) return [...new Set(p.anyOf.map(typeOf))].join(' or ');
  if (p.type === 'object') return p.additionalProperties ? 'map' : 'object';
  if (Array.isArray(p.type)) return p.type.join(' or ');
  return p.type ?? 'any';
}

function anchor(kind: string): string {
  return kind.replace(/[^a-z0-9-]/g, '');
}

type ObjectSchema = { properties?: Record<string, Property>; required?: string[]; anyOf?: ObjectSchema[] };

function rowsOf(schema: ObjectSchema, action: AnyAction): string[] {
  const required = new Set(schema.required ?? []);
  const literal = new Set(action.literalParams ?? []);
  const deprecated = new Set(Object.keys(action.deprecatedParams ?? {}));
  return Object.entries(schema.properties ?? {}).map(([name, p]) => {
    const designator = action.designators?.[name];
    const flags = [
      required.has(name) && p.default === undefined ? 'required' : '',
      literal.has(name) ? 'literal' : '',
      deprecated.has(name) ? '**deprecated**' : '',
      // What bounds it when a template fills it (README, Policies: `allow` is the policy's remit).
      designator ? `bounded by \`allow.${designator.allow}\`${designator.within ? ' (optional)' : ''}` : '',
    ]
      .filter(Boolean)
      .join(', ');
    const def = p.default === undefined ? '' : `\`${JSON.stringify(p.default)}\``;
    return `| \`${name}\` | ${typeOf(p)} | ${flags} | ${def} | ${cell(p.description ?? '')} |`;
  });
}

const header = ['| parameter | type | | default | meaning |', '|---|---|---|---|---|'];

/** The parameter tables: one, or one per form when the `with:` block takes one of several shapes. */
function parameterTables(action: AnyAction): string[] {
  const schema = describeAction(action).parameters as ObjectSchema;
  const forms = schema.anyOf ?? [schema];
  const tables = forms.map((form) => rowsOf(form, action)).filter((rows) => rows.length > 0);
  if (tables.length === 0) return ['No parameters.'];
  if (tables.length === 1) return [...header, ...tables[0]!];
  return tables
    .flatMap((rows, i) => [
      `${i === 0 ? 'Either' : 'or'} (form ${i + 1} of ${tables.length}):`,
      '',
      ...header,
      ...rows,
      '',
    ])
    .slice(0, -1);
}

/** One section per action: what it does, on what, its parameters, an example and the RBAC it needs. */
export function renderActionReference(actions: readonly AnyAction[] = builtinActions): string {
  return actions
    .map((action) => {
      const rbac =
        action.rbac.length === 0
          ? ['None: it acts outside Kubernetes.']
          : action.rbac.map(
              (r) =>
                `- ${r.apiGroups.map((g) => (g === '' ? 'core' : g)).join(', ')}: ${r.resources.join(', ')} — ${r.verbs.join(', ')}`,
            );
      return [
        `### \`${action.kind}\``,
        '',
        action.summary,
        '',
        ...(action.notes === undefined ? [] : [action.notes, '']),
        `Targets: ${action.targetKinds.map((k) => (k === '*' ? 'any kind' : k)).join(', ')}.`,
        '',
        ...parameterTables(action),
        '',
        'Example step:',
        '',
        '```yaml',
        YAML.stringify([{ action: action.kind, with: action.example }]).trim(),
        '```',
        '',
        'RBAC it needs:',
        '',
        ...rbac,
        '',
      ].join('\n');
    })
    .join('\n');
}

/** The README's table: one line per action, linking to its section of docs/actions.md. */
export function renderActionTable(actions: readonly AnyAction[] = builtinActions): string {
  const rows = actions.map(
    (a) =>
      `| [\`${a.kind}\`](docs/actions.md#${anchor(a.kind)}) | ${cell(a.summary)} | ${a.targetKinds.map((k) => (k === '*' ? 'any' : k)).join(', ')} |`,
  );
  return ['| action | what it does | targets |', '|---|---|---|', ...rows].join('\n');
}

/** "`retrain.argo` / `retrain.kubeflow` `namespace`": who names a parameter bounded by one list. */
function boundParams(uses: ReadonlyArray<{ kind: string; param: string }>): string {
  const byParam = new Map<string, string[]>();
  for (const { kind, param } of uses) byParam.set(param, [...(byParam.get(param) ?? []), kind]);
  return [...byParam]
    .map(([param, kinds]) => `${kinds.map((k) => `\`${k}\``).join(' / ')} \`${param}\``)
    .join('; ');
}

/**
 * The README's table of `allow` lists: the target's two, then each action's designators, one row per action and
 * kind of bound (README, Policies); indented, as it sits in a list item.
 */
export function renderAllowTable(actions: readonly AnyAction[] = builtinActions): string {
  const namespaced = actions.flatMap((a) =>
    Object.entries(a.designators ?? {})
      .filter(([, d]) => d.allow === 'namespaces')
      .map(([param]) => ({ kind: a.kind, param })),
  );
  const rows = [
    `| \`namespaces\` | \`target.namespace\`${namespaced.length > 0 ? `; ${boundParams(namespaced)}` : ''} | yes (every namespaced target has it) |`,
    '| `names` | `target.name` | no: the namespace bounds it; yes for a cluster-scoped target (a Node), which has none |',
  ];
  for (const action of actions) {
    const own = Object.entries(action.designators ?? {}).filter(([, d]) => d.allow !== 'namespaces');
    for (const within of [true, false]) {
      const group = own.filter(([, d]) => (d.within !== undefined) === within);
      if (group.length === 0) continue;
      const lists = group.map(([, d]) => `\`${d.allow}\``).join(', ');
      const params = group.map(([param]) => `\`${param}\``).join(', ');
      const needed = within ? 'no: the namespace bounds it' : 'yes';
      rows.push(`| ${lists} | \`${action.kind}\` ${params} | ${needed} |`);
    }
  }
  return ['| `allow` list | bounds | needed when templated |', '|---|---|---|', ...rows]
    .map((line) => `  ${line}`)
    .join('\n');
}

/** The kinds `salve check` lists after an unknown action (the README shows its output). */
export function renderKnownActions(actions: readonly AnyAction[] = builtinActions): string {
  return `known actions: ${actions
    .map((a) => a.kind)
    .sort()
    .join(', ')}`;
}
