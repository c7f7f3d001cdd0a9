import { accountConsoleUrl, isAwsConsoleUrl } from './links';

describe('isAwsConsoleUrl', () => {
  it.each([
    accountConsoleUrl(
      'arn:aws:organizations::111111111111:account/o-abc/222222222222',
      '222222222222',
    ),
    accountConsoleUrl(
      'arn:aws-us-gov:organizations::111111111111:account/o-abc/222222222222',
      '222222222222',
    ),
    'https://console.amazonaws.cn/organizations/',
    'https://eu-west-1.console.aws.amazon.com/ec2/home',
  ])('accepts %s', url => {
    expect(isAwsConsoleUrl(url)).toBe(true);
  });

  it.each([
    'http://console.aws.amazon.com/',
    'data:text/html,<script>alert(1)</script>',
    'https://console.aws.amazon.com.evil.example/',
    'https://evilconsole.aws.amazon.com/',
    'https://user:pass@console.aws.amazon.com/',
    'https://example.com/?https://console.aws.amazon.com/',
    'not a url',
  ])('refuses %s', url => {
    expect(isAwsConsoleUrl(url)).toBe(false);
  });
});
