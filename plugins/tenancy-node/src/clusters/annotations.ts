/**
 * The annotations and authMetadata keys of Backstage's Kubernetes plugin
 * (`@backstage/plugin-kubernetes-common`), repeated here so this library does
 * not depend on that plugin.
 */
export const ANNOTATION_KUBERNETES_API_SERVER = 'kubernetes.io/api-server';
export const ANNOTATION_KUBERNETES_API_SERVER_CA =
  'kubernetes.io/api-server-certificate-authority';
export const ANNOTATION_KUBERNETES_AUTH_PROVIDER =
  'kubernetes.io/auth-provider';
export const ANNOTATION_KUBERNETES_SKIP_TLS_VERIFY =
  'kubernetes.io/skip-tls-verify';
export const ANNOTATION_KUBERNETES_AWS_ASSUME_ROLE =
  'kubernetes.io/aws-assume-role';
export const ANNOTATION_KUBERNETES_AWS_CLUSTER_ID =
  'kubernetes.io/x-k8s-aws-id';
export const ANNOTATION_KUBERNETES_AWS_EXTERNAL_ID =
  'kubernetes.io/aws-external-id';

/** An IAM role ARN in any partition. */
export const ROLE_ARN = /^arn:aws[a-z-]*:iam::\d{12}:role\/[\w+=,.@/-]{1,512}$/;
