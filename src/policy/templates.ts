// Templates are data, never code: the only placeholders are `{{ labels.NAME }}` and `{{ annotations.NAME }}`.
// Rendering is a single pass over parts compiled at load, so a value that itself contains `{{` is copied
// verbatim and never expanded again.

export type TemplateSource = 'labels' | 'annotations';

export type TemplatePart = { text: string } | { source: TemplateSource; name: string };

export type CompiledTemplate = {
  source: string;
  parts: readonly TemplatePart[];
  /** True when the template holds at least one placeholder. */
  dynamic: boolean;
};

export type CompileResult = { ok: true; template: CompiledTemplate } | { ok: false; error: string };

export type TemplateData = {
  labels: Readonly<Record<string, string>>;
  annotations: Readonly<Record<string, string>>;
};

export type RenderResult = { ok: true; value: string } | { ok: false; missing: string };

const PLACEHOLDER = /^\s*(labels|annotations)\.([A-Za-z_][A-Za-z0-9_]*)\s*$/;
const ALLOWED = 'only {{ labels.NAME }} and {{ annotations.NAME }} are allowed';

export function compileTemplate(source: string): CompileResult {
  const parts: TemplatePart[] = [];
  let pos = 0;
  while (pos < source.length) {
    const open = source.indexOf('{{', pos);
    const text = open === -1 ? source.slice(pos) : source.slice(pos, open);
    const stray = text.indexOf('}}');
    if (stray !== -1) {
      return { ok: false, error: `unbalanced "}}" at offset ${pos + stray} in ${JSON.stringify(source)}` };
    }
    if (text !== '') parts.push({ text });
    if (open === -1) break;
    const close = source.indexOf('}}', open + 2);
    if (close === -1)
      return { ok: false, error: `unclosed "{{" at offset ${open} in ${JSON.stringify(source)}` };
    const inner = source.slice(open + 2, close);
    const m = PLACEHOLDER.exec(inner);
    if (m === null) {
      return { ok: false, error: `unsupported template ${JSON.stringify(`{{${inner}}}`)}: ${ALLOWED}` };
    }
    parts.push({ source: m[1] as TemplateSource, name: m[2] as string });
    pos = close + 2;
  }
  return { ok: true, template: { source, parts, dynamic: parts.some((p) => 'source' in p) } };
}

/** Own properties only: an absent `constructor` label must not resolve to Object's constructor. */
export function lookup(map: Readonly<Record<string, string>>, name: string): string | undefined {
  if (!Object.hasOwn(map, name)) return undefined;
  const value = map[name];
  return typeof value === 'string' ? value : undefined;
}

/** A missing or empty value fails closed: the policy does not apply to that alert. */
export function render(template: CompiledTemplate, data: TemplateData): RenderResult {
  let value = '';
  for (const part of template.parts) {
    if ('text' in part) {
      value += part.text;
      continue;
    }
    const filled = lookup(data[part.source], part.name);
    if (filled === undefined || filled === '') return { ok: false, missing: `${part.source}.${part.name}` };
    value += filled;
  }
  return { ok: true, value };
}

/** Every placeholder filled with `placeholder`: used at load to check `with:` blocks against action schemas. */
export function renderWith(template: CompiledTemplate, placeholder: string): string {
  return template.parts.map((p) => ('text' in p ? p.text : placeholder)).join('');
}

/** The template as a regular expression with each placeholder as "one or more characters". */
export function templatePattern(template: CompiledTemplate): RegExp {
  const body = template.parts
    .map((p) => ('text' in p ? p.text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&') : '[\\s\\S]+'))
    .join('');
  return new RegExp(`^${body}$`);
}
