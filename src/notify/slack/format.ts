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

/** Slack shows it in the reader's own time zone; the fallback is the UTC timestamp. */
export function slackDate(iso: string): string {
  const unix = Math.floor(new Date(iso).getTime() / 1000);
  return `<!date^${unix}^{date_short_pretty} {time}|${iso}>`;
}

/** Slack refuses a section text above 3000 characters; details from peers can be long. */
export function clip(text: string, max = 2800): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}
