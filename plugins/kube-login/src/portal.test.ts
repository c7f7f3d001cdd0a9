import { backstageToken, normalizePortal } from './portal';

function token(claims: object) {
  const part = (o: object) =>
    Buffer.from(JSON.stringify(o)).toString('base64url');
  return `${part({ alg: 'ES256' })}.${part(claims)}.sig`;
}

describe('where the plugin sends a person’s token', () => {
  const previous = process.env.BACKSTAGE_TOKEN;
  afterEach(() => {
    if (previous === undefined) delete process.env.BACKSTAGE_TOKEN;
    else process.env.BACKSTAGE_TOKEN = previous;
  });

  it('only over https, or http to this machine', () => {
    expect(normalizePortal('https://backstage.example.com/')).toBe(
      'https://backstage.example.com',
    );
    expect(normalizePortal('http://localhost:7007')).toBe(
      'http://localhost:7007',
    );
    expect(normalizePortal('http://127.0.0.1:7007/')).toBe(
      'http://127.0.0.1:7007',
    );
    expect(() => normalizePortal('http://backstage.example.com')).toThrow(
      /https URL/,
    );
    expect(() => normalizePortal('file:///etc/passwd')).toThrow(/https URL/);
    expect(() => normalizePortal('not a url')).toThrow(/portal's URL/);
  });

  it('BACKSTAGE_TOKEN only to the portal that issued it', async () => {
    const mine = token({
      iss: 'https://backstage.example.com/api/auth',
      sub: 'user:default/alice',
    });
    process.env.BACKSTAGE_TOKEN = mine;
    await expect(backstageToken('https://backstage.example.com')).resolves.toBe(
      mine,
    );
    await expect(backstageToken('https://evil.example.com')).rejects.toThrow(
      /not issued by https:\/\/evil\.example\.com/,
    );
    process.env.BACKSTAGE_TOKEN = 'opaque';
    await expect(
      backstageToken('https://backstage.example.com'),
    ).rejects.toThrow(/not issued by/);
  });
});
