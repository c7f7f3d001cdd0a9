/** The AWS console host of an ARN's partition. */
function consoleHost(arn: string): string {
  switch (arn.split(':')[1]) {
    case 'aws-us-gov':
      return 'console.amazonaws-us-gov.com';
    case 'aws-cn':
      return 'console.amazonaws.cn';
    default:
      return 'console.aws.amazon.com';
  }
}

/** The account's page in the AWS Organizations console. @public */
export function accountConsoleUrl(arn: string, accountId: string): string {
  return `https://${consoleHost(
    arn,
  )}/organizations/v2/home/accounts/${accountId}`;
}

/** The organization id (`o-…`) from an account ARN (`arn:aws:organizations::<mgmt>:account/o-…/<id>`). @public */
export function organizationIdOf(arn: string): string | undefined {
  return /:account\/(o-[a-z0-9]+)\//.exec(arn)?.[1];
}
