import type { z } from 'zod';
import { issueMessages } from './problems.js';
import {
  type CompiledTemplate,
  compileTemplate,
  render,
  renderWith,
  type TemplateData,
} from './templates.js';

// A step's `with:` block compiled once at load: string leaves become templates, everything else is kept.

export type CompiledParams =
  | { kind: 'literal'; value: unknown }
  | { kind: 'template'; template: CompiledTemplate }
  | { kind: 'array'; items: readonly CompiledParams[] }
  | { kind: 'object'; entries: readonly (readonly [string, CompiledParams])[] };

export type ParamsPath = (string | number)[];
export type ParamsProblem = { path: ParamsPath; message: string };

export type CompileParamsResult =
  | { ok: true; params: CompiledParams; dynamic: boolean }
  | { ok: false; problems: ParamsProblem[] };

export type RenderParamsResult =
  | { ok: true; value: unknown }
  | { ok: false; missing: string; path: ParamsPath };

export function compileParams(value: unknown): CompileParamsResult {
  const problems: ParamsProblem[] = [];
  let dynamic = false;
  const walk = (v: unknown, path: ParamsPath): CompiledParams => {
    if (typeof v === 'string') {
      const compiled = compileTemplate(v);
      if (!compiled.ok) {
        problems.push({ path, message: compiled.error });
        return { kind: 'literal', value: v };
      }
      if (!compiled.template.dynamic) return { kind: 'literal', value: v };
      dynamic = true;
      return { kind: 'template', template: compiled.template };
    }
    if (Array.isArray(v)) return { kind: 'array', items: v.map((item, i) => walk(item, [...path, i])) };
    if (v !== null && typeof v === 'object') {
      return {
        kind: 'object',
        entries: Object.entries(v).map(([k, item]) => [k, walk(item, [...path, k])] as const),
      };
    }
    return { kind: 'literal', value: v };
  };
  const params = walk(value, []);
  return problems.length > 0 ? { ok: false, problems } : { ok: true, params, dynamic };
}

/** Whether any leaf of a compiled `with:` value is filled from the alert. */
export function containsTemplate(p: CompiledParams): boolean {
  switch (p.kind) {
    case 'literal':
      return false;
    case 'template':
      return true;
    case 'array':
      return p.items.some(containsTemplate);
    case 'object':
      return p.entries.some(([, v]) => containsTemplate(v));
  }
}

export function renderParams(params: CompiledParams, data: TemplateData): RenderParamsResult {
  const walk = (p: CompiledParams, path: ParamsPath): RenderParamsResult => {
    switch (p.kind) {
      case 'literal':
        return { ok: true, value: p.value };
      case 'template': {
        const r = render(p.template, data);
        return r.ok ? { ok: true, value: r.value } : { ok: false, missing: r.missing, path };
      }
      case 'array': {
        const out: unknown[] = [];
        for (const [i, item] of p.items.entries()) {
          const r = walk(item, [...path, i]);
          if (!r.ok) return r;
          out.push(r.value);
        }
        return { ok: true, value: out };
      }
      case 'object': {
        const out: [string, unknown][] = [];
        for (const [k, item] of p.entries) {
          const r = walk(item, [...path, k]);
          if (!r.ok) return r;
          out.push([k, r.value]);
        }
        // fromEntries defines own properties, so a `__proto__` key stays data.
        return { ok: true, value: Object.fromEntries(out) };
      }
    }
  };
  return walk(params, []);
}

/** Every placeholder replaced by `placeholder`: what the action's schema sees at load time. */
export function fillPlaceholders(params: CompiledParams, placeholder: string): unknown {
  switch (params.kind) {
    case 'literal':
      return params.value;
    case 'template':
      return renderWith(params.template, placeholder);
    case 'array':
      return params.items.map((item) => fillPlaceholders(item, placeholder));
    case 'object':
      return Object.fromEntries(params.entries.map(([k, item]) => [k, fillPlaceholders(item, placeholder)]));
  }
}

// A templated leaf is accepted when some plausible value fits the schema: `x` for names, `1` for digits.
const PLACEHOLDERS = ['x', '1'] as const;

/** Load-time check of a `with:` block against the action's own schema; issue paths are relative to `with`. */
export function checkParams(schema: z.ZodType, params: CompiledParams, dynamic: boolean): z.core.$ZodIssue[] {
  const candidates = dynamic ? PLACEHOLDERS : PLACEHOLDERS.slice(0, 1);
  let first: z.core.$ZodIssue[] | null = null;
  for (const placeholder of candidates) {
    const result = schema.safeParse(fillPlaceholders(params, placeholder), { error: issueMessages });
    if (result.success) return [];
    first ??= result.error.issues;
  }
  return first ?? [];
}
