/**
 * Checking an app before it runs: manifest, signature, code hash and ABI checks (audit-app.ts),
 * the permissions a person is asked to grant and how an upgrade changes them.
 */
export { auditApp, failureOf, verifyApp } from './audit-app.ts'
export type { AuditReport, VerifiedApp } from './audit-app.ts'
export { checkImportsExports } from './check-module.ts'
export { formatBytes } from './describe-permissions.ts'
export { permissionDiff } from './permission-diff.ts'
export type { PermissionDiff } from './permission-diff.ts'
