// Kubernetes object names (apimachinery validation): namespaces are DNS-1123 labels, most object names
// DNS-1123 subdomains. Anything else from an alert label (`../etc`, `Foo_Bar`) is refused.
const DNS_LABEL = /^[a-z0-9](?:[-a-z0-9]*[a-z0-9])?$/;
const DNS_SUBDOMAIN = /^[a-z0-9](?:[-a-z0-9]*[a-z0-9])?(?:\.[a-z0-9](?:[-a-z0-9]*[a-z0-9])?)*$/;

export function isDnsLabel(value: string): boolean {
  return value.length <= 63 && DNS_LABEL.test(value);
}

export function isDnsSubdomain(value: string): boolean {
  return value.length <= 253 && DNS_SUBDOMAIN.test(value);
}

export const dnsLabelRule = 'a DNS-1123 label (lowercase letters, digits and "-", at most 63 characters)';
export const dnsSubdomainRule =
  'a DNS-1123 subdomain (lowercase letters, digits, "-" and ".", at most 253 characters)';

/** An untrusted value made safe to quote in a message: escaped, and cut to a readable length. */
export function quoteValue(value: string, max = 80): string {
  const cut = value.length > max ? `${value.slice(0, max)}...` : value;
  return JSON.stringify(cut);
}
