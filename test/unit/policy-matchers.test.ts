import { describe, expect, it } from 'vitest';
import { formatMatcher, matches, matchesAll, parseMatcher } from '../../src/policy/matchers.js';
import type { LabelMatcher } from '../../src/policy/types.js';

function m(text: string): LabelMatcher {
  const result = parseMatcher(text);
  if (!result.ok) throw new Error(result.error);
  return result.matcher;
}

describe('parseMatcher', () => {
  it.each([
    ['alertname="X"', { label: 'alertname', op: '=', value: 'X' }],
    ['alertname=X', { label: 'alertname', op: '=', value: 'X' }],
    ['  env != "dev" ', { label: 'env', op: '!=', value: 'dev' }],
    ['severity=~"critical|page"', { label: 'severity', op: '=~', value: 'critical|page' }],
    ['team!~a|b', { label: 'team', op: '!~', value: 'a|b' }],
    ['a:b_c=""', { label: 'a:b_c', op: '=', value: '' }],
    ['msg="say \\"hi\\""', { label: 'msg', op: '=', value: 'say "hi"' }],
    ['path="C:\\\\tmp"', { label: 'path', op: '=', value: 'C:\\tmp' }],
    ['text="line1\\nline2"', { label: 'text', op: '=', value: 'line1\nline2' }],
    ['code=~"\\d+"', { label: 'code', op: '=~', value: '\\d+' }],
  ])('reads %s', (text, expected) => {
    expect(m(text)).toMatchObject(expected);
  });

  it.each([
    ['alertname', 'expected a matcher'],
    ['="X"', 'expected a matcher'],
    ['1abc="X"', 'expected a matcher'],
    ['foo=="X"', 'unescaped double quote'],
    ['foo="a"b"', 'unescaped double quote'],
    ['foo="open', 'missing closing double quote'],
    ['foo=~"(unclosed"', 'invalid regular expression'],
    ['foo=~"a{2,1}"', 'invalid regular expression'],
  ])('refuses %j', (text, message) => {
    const result = parseMatcher(text);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.error).toContain(message);
  });

  it('prints matchers back in Alertmanager syntax', () => {
    expect(formatMatcher(m('msg="say \\"hi\\""'))).toBe('msg="say \\"hi\\""');
    expect(formatMatcher(m('severity=~critical|page'))).toBe('severity=~"critical|page"');
  });
});

describe('matches', () => {
  const labels = { alertname: 'ModelServingErrorRate', severity: 'critical', env: 'prod' };

  it('= and != compare the whole value', () => {
    expect(matches(m('severity="critical"'), labels)).toBe(true);
    expect(matches(m('severity="crit"'), labels)).toBe(false);
    expect(matches(m('env!="dev"'), labels)).toBe(true);
    expect(matches(m('env!="prod"'), labels)).toBe(false);
  });

  it('=~ and !~ are anchored at both ends, like Alertmanager', () => {
    expect(matches(m('severity=~"critical|page"'), labels)).toBe(true);
    expect(matches(m('severity=~"crit"'), labels)).toBe(false);
    expect(matches(m('severity=~"ritical"'), labels)).toBe(false);
    expect(matches(m('severity=~"crit.*"'), labels)).toBe(true);
    expect(matches(m('alertname=~"Model.*Rate"'), labels)).toBe(true);
    expect(matches(m('severity!~"warn|info"'), labels)).toBe(true);
    expect(matches(m('severity!~"crit"'), labels)).toBe(true);
    expect(matches(m('severity!~"critical|page"'), labels)).toBe(false);
  });

  it('anchors every alternative, not just the first and last', () => {
    expect(matches(m('severity=~"page|critical"'), { severity: 'xcritical' })).toBe(false);
    expect(matches(m('severity=~"page|critical"'), { severity: 'pagex' })).toBe(false);
  });

  it('treats an absent label as the empty string', () => {
    expect(matches(m('team=""'), labels)).toBe(true);
    expect(matches(m('team!=""'), labels)).toBe(false);
    expect(matches(m('team!="a"'), labels)).toBe(true);
    expect(matches(m('team=~".*"'), labels)).toBe(true);
    expect(matches(m('team=~".+"'), labels)).toBe(false);
    expect(matches(m('team!~"a|b"'), labels)).toBe(true);
    expect(matches(m('severity=""'), labels)).toBe(false);
  });

  it('does not see properties inherited from Object.prototype as labels', () => {
    expect(matches(m('constructor=""'), {})).toBe(true);
    expect(matches(m('toString=~".+"'), {})).toBe(false);
  });

  it('requires every matcher to hold', () => {
    expect(matchesAll([m('alertname="ModelServingErrorRate"'), m('env!="dev"')], labels)).toBe(true);
    expect(matchesAll([m('alertname="ModelServingErrorRate"'), m('env="dev"')], labels)).toBe(false);
  });
});
