import { GetSecretValueCommand } from '@aws-sdk/client-secrets-manager';
import type { AwsClientFactory, AwsTarget } from '../../src/aws/clients';
import { awsCall } from '../../src/aws/errors';
import type { HealthActionsConfig } from '../../src/config/health';
import { readSecretEnv } from '../../src/config/env';
import { AccessDeniedError, ValidationError } from '../../src/errors';

type JiraConfig = NonNullable<HealthActionsConfig['jira']>;

/** Atlassian Document Format for a plain multi-line description. */
function adf(text: string) {
  return {
    type: 'doc',
    version: 1,
    content: text.split('\n\n').map((para) => ({ type: 'paragraph', content: [{ type: 'text', text: para }] })),
  };
}

/**
 * The one gateway to Jira Cloud (REST API v3). Credentials are read when used (env vars or a
 * Secrets Manager secret `{"email": …, "token": …}`); an issue is found by its label before one is
 * created, so a retried or replayed request never opens a second ticket.
 */
export function jiraGateway(deps: { aws: AwsClientFactory; target: AwsTarget; jira: JiraConfig }) {
  const base = deps.jira.baseUrl.replace(/\/+$/, '');
  async function authHeader(): Promise<string> {
    let email: string | undefined;
    let token: string | undefined;
    if (deps.jira.secretId) {
      const out = await awsCall(`GetSecretValue ${deps.jira.secretId}`, () =>
        deps.aws.secretsManager(deps.target).send(new GetSecretValueCommand({ SecretId: deps.jira.secretId })),
      );
      try {
        const parsed = JSON.parse(out.SecretString ?? '{}') as { email?: string; token?: string };
        email = parsed.email;
        token = parsed.token;
      } catch {
        throw new ValidationError(`Jira secret ${deps.jira.secretId} is not JSON {"email","token"}`);
      }
    } else {
      email = readSecretEnv(deps.jira.emailEnv!);
      token = readSecretEnv(deps.jira.tokenEnv!);
    }
    if (!email || !token) throw new ValidationError('Jira credentials are not set (emailEnv/tokenEnv or secretId)');
    return `Basic ${Buffer.from(`${email}:${token}`).toString('base64')}`;
  }

  async function call(method: string, path: string, body?: unknown): Promise<unknown> {
    const res = await fetch(`${base}${path}`, {
      method,
      headers: {
        authorization: await authHeader(),
        accept: 'application/json',
        ...(body ? { 'content-type': 'application/json' } : {}),
      },
      body: body ? JSON.stringify(body) : undefined,
      signal: AbortSignal.timeout(15_000),
    });
    const text = await res.text();
    if (res.status === 401 || res.status === 403)
      throw new AccessDeniedError(`Jira ${method} ${path}: ${res.status} ${text.slice(0, 200)}`);
    if (res.status >= 400 && res.status < 500 && res.status !== 429)
      throw new ValidationError(`Jira ${method} ${path}: ${res.status} ${text.slice(0, 300)}`);
    if (!res.ok) throw new Error(`Jira ${method} ${path}: ${res.status} ${text.slice(0, 200)}`);
    return text ? JSON.parse(text) : {};
  }

  return {
    async findByLabel(label: string): Promise<string | undefined> {
      const jql = `labels = "${label}" ORDER BY created ASC`;
      const out = (await call(
        'GET',
        `/rest/api/3/search/jql?jql=${encodeURIComponent(jql)}&fields=key&maxResults=1`,
      )) as { issues?: { key: string }[] };
      return out.issues?.[0]?.key;
    },
    async createIssue(input: { summary: string; description: string; labels: string[] }): Promise<string> {
      const out = (await call('POST', '/rest/api/3/issue', {
        fields: {
          project: { key: deps.jira.projectKey },
          issuetype: { name: deps.jira.issueType },
          summary: input.summary.slice(0, 255),
          description: adf(input.description),
          labels: input.labels,
        },
      })) as { key?: string };
      if (!out.key) throw new Error('Jira create issue answered without a key');
      return out.key;
    },
  };
}
