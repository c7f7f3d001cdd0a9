/**
 * Links to the day-2 templates with the form filled in from where the
 * person is (a namespace or account row, a namespace page). The templates
 * check again: the link only saves typing.
 */
function templateLink(template: string, values: Record<string, string>) {
  return `/create/templates/default/${template}?formData=${encodeURIComponent(
    JSON.stringify(values),
  )}`;
}

/** A namespace of a team in one environment. */
export interface NamespaceTarget {
  tenant: string;
  namespace: string;
  environment: string;
}

/**
 * The offboarding template: it shows what would be deleted on each cluster
 * and asks for the name before anything is done.
 */
export function offboardLink(values: NamespaceTarget): string {
  return templateLink('offboard-namespace', { ...values });
}

/** The resize template: each cluster's quota before → after, then the run. */
export function resizeLink(values: NamespaceTarget): string {
  return templateLink('resize-namespace', { ...values });
}

/**
 * The account closing template: the account's state and what closing
 * means, then its id typed to confirm.
 */
export function closeAccountLink(values: {
  tenant: string;
  accountId: string;
}): string {
  return templateLink('close-aws-account', { ...values });
}
