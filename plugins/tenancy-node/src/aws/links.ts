/** The AWS console host of each partition. */
const CONSOLE_HOSTS: Record<string, string> = {
  aws: 'console.aws.amazon.com',
  'aws-us-gov': 'console.amazonaws-us-gov.com',
  'aws-cn': 'console.amazonaws.cn',
};

/** The AWS console host of an ARN's partition. */
function consoleHost(arn: string): string {
  return CONSOLE_HOSTS[arn.split(':')[1]] ?? CONSOLE_HOSTS.aws;
}

/** The account's page in the AWS Organizations console. @public */
export function accountConsoleUrl(arn: string, accountId: string): string {
  return `https://${consoleHost(
    arn,
  )}/organizations/v2/home/accounts/${accountId}`;
}

/**
 * Whether a URL is an https page of the AWS console (of any partition, or
 * a region's `<region>.console.aws.amazon.com`): the only links from an
 * account's entity that may be offered as its console.
 * @public
 */
export function isAwsConsoleUrl(url: string): boolean {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return false;
  }
  if (parsed.protocol !== 'https:' || parsed.username || parsed.password) {
    return false;
  }
  return Object.values(CONSOLE_HOSTS).some(
    host => parsed.hostname === host || parsed.hostname.endsWith(`.${host}`),
  );
}

/** The organization id (`o-…`) from an account ARN (`arn:aws:organizations::<mgmt>:account/o-…/<id>`). @public */
export function organizationIdOf(arn: string): string | undefined {
  return /:account\/(o-[a-z0-9]+)\//.exec(arn)?.[1];
}
