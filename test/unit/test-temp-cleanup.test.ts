import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import setup from '../support/global-setup.js';

describe('the test run cleans up its temporary files', () => {
  it('points os.tmpdir() at a directory of its own and removes it, with what tests left there', () => {
    const outer = os.tmpdir();
    expect(path.basename(outer)).toMatch(/^salve-test-run-/);
    const teardown = setup();
    const inner = os.tmpdir();
    expect(path.dirname(inner)).toBe(outer);
    const left = fs.mkdtempSync(path.join(inner, 'leftover-'));
    fs.writeFileSync(path.join(left, 'kubeconfig'), 'apiVersion: v1\n');
    teardown();
    expect(fs.existsSync(inner)).toBe(false);
    expect(os.tmpdir()).toBe(outer);
  });
});
