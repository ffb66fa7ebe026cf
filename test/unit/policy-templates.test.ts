import { describe, expect, it } from 'vitest';
import {
  type CompiledTemplate,
  compileTemplate,
  render,
  templatePattern,
} from '../../src/policy/templates.js';

function compiled(source: string): CompiledTemplate {
  const result = compileTemplate(source);
  if (!result.ok) throw new Error(result.error);
  return result.template;
}

const data = {
  labels: { namespace: 'ml-prod', deployment: 'scorer', empty: '' },
  annotations: { runbook: 'https://runbooks/x' },
};

describe('compileTemplate and render', () => {
  it('fills labels and annotations, with or without spaces inside the braces', () => {
    const t = compiled('{{labels.namespace}}/{{  labels.deployment  }} see {{ annotations.runbook }}');
    expect(render(t, data)).toEqual({ ok: true, value: 'ml-prod/scorer see https://runbooks/x' });
  });

  it('keeps plain text and single braces as they are', () => {
    const t = compiled('plain {x} text');
    expect(t.dynamic).toBe(false);
    expect(render(t, data)).toEqual({ ok: true, value: 'plain {x} text' });
  });

  it('reports a missing label by its template name', () => {
    expect(render(compiled('{{ labels.model }}'), data)).toEqual({ ok: false, missing: 'labels.model' });
    expect(render(compiled('x-{{ annotations.owner }}'), data)).toEqual({
      ok: false,
      missing: 'annotations.owner',
    });
  });

  it('treats an empty value as missing, failing closed', () => {
    expect(render(compiled('{{ labels.empty }}'), data)).toEqual({ ok: false, missing: 'labels.empty' });
  });

  it('does not resolve names inherited from Object.prototype', () => {
    const t = compiled('{{ labels.constructor }}{{ labels.__proto__ }}');
    expect(render(t, data)).toEqual({ ok: false, missing: 'labels.constructor' });
    expect(render(compiled('{{ labels.toString }}'), { labels: {}, annotations: {} })).toEqual({
      ok: false,
      missing: 'labels.toString',
    });
  });

  it('copies a value containing template syntax verbatim, never expanding it again', () => {
    const t = compiled('{{ labels.deployment }}');
    const hostile = { labels: { deployment: '{{ labels.secret }}', secret: 'leaked' }, annotations: {} };
    expect(render(t, hostile)).toEqual({ ok: true, value: '{{ labels.secret }}' });
  });

  it.each([
    ['{{ .Labels.namespace }}', 'unsupported template'],
    ['{{ exec "rm" }}', 'unsupported template'],
    ['{{ labels }}', 'unsupported template'],
    ['{{ labels.a.b }}', 'unsupported template'],
    ['{{ env.HOME }}', 'unsupported template'],
    ['{{ labels.na-me }}', 'unsupported template'],
    ['{{{ labels.x }}}', 'unsupported template'],
    ['{{ labels.x', 'unclosed "{{"'],
    ['labels.x }}', 'unbalanced "}}"'],
    ['{{ labels.x }} }}', 'unbalanced "}}"'],
  ])('refuses %j at load', (source, message) => {
    const result = compileTemplate(source);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.error).toContain(message);
  });
});

describe('templatePattern', () => {
  it('matches exactly the strings the template can render to', () => {
    const p = templatePattern(compiled('retrain-{{ labels.model }}.v1'));
    expect(p.test('retrain-fraud.v1')).toBe(true);
    expect(p.test('retrain-.v1')).toBe(false);
    expect(p.test('retrain-fraudXv1')).toBe(false);
  });
});
