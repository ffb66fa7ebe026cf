// Slack mrkdwn: alert labels and annotations are untrusted, so `<!channel>`, `<@U123>` and `<url|x>` written into
// an alert must arrive as text. Slack asks for exactly these three escapes.
export function esc(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** A mrkdwn link, or null when the URL is not plain http(s) (a `javascript:` generatorURL stays out). */
export function link(url: string | null | undefined, label: string): string | null {
  if (!url) return null;
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return null;
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') return null;
  return `<${parsed.href.replace(/\|/g, '%7C')}|${esc(label)}>`;
}

/** `4m 12s`, `1h 3m`, `2d 5h`: the two largest units, which is what a person reads anyway. */
export function humanDuration(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) return `${s}s`;
  const units: Array<[string, number]> = [
    ['d', 86_400],
    ['h', 3_600],
    ['m', 60],
    ['s', 1],
  ];
  const parts: string[] = [];
  let rest = s;
  for (const [unit, size] of units) {
    const n = Math.floor(rest / size);
    rest -= n * size;
    if (n > 0 || parts.length > 0) parts.push(`${n}${unit}`);
    if (parts.length === 2) break;
  }
  return parts.filter((p) => !p.startsWith('0')).join(' ');
}

/** Slack shows it in the reader's own time zone; the fallback is the UTC timestamp. */
export function slackDate(iso: string): string {
  const unix = Math.floor(new Date(iso).getTime() / 1000);
  return `<!date^${unix}^{date_short_pretty} {time}|${iso}>`;
}

/** Slack refuses a section text above 3000 characters; details from peers can be long. */
export function clip(text: string, max = 2800): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}
