/**
 * `create`: a new app project from the SDK's template.
 */
export { createProject } from './create-project.ts'
