/**
 * What the job routes may do beyond the table: start, describe and stop
 * executions of the two workflows, and create, change and delete the
 * EventBridge Scheduler schedules of scheduled jobs (which name the
 * scheduler role, so that role is passed too). Schedules are limited to the
 * `tidemark-` names the API gives them.
 */
import { Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { JOB_ROUTES } from '../functions/api/jobs/routes.js';
import { type Api, routeKey } from './api.js';

export interface JobRouteGrantProps {
  backup: sfn.StateMachine;
  restore: sfn.StateMachine;
  schedulerRole: iam.IRole;
}

/** Per handler: may it start executions, which execution and schedule actions it needs. */
const GRANTS: Record<string, { start?: true; execution: string[]; schedule: string[] }> = {
  'functions/api/jobs/submit-job.ts': { start: true, execution: [], schedule: ['scheduler:CreateSchedule'] },
  'functions/api/jobs/get-job.ts': { execution: ['states:DescribeExecution'], schedule: [] },
  'functions/api/jobs/hold-job.ts': {
    execution: ['states:DescribeExecution'],
    schedule: ['scheduler:GetSchedule', 'scheduler:UpdateSchedule'],
  },
  'functions/api/jobs/release-job.ts': {
    execution: ['states:DescribeExecution'],
    schedule: ['scheduler:GetSchedule', 'scheduler:UpdateSchedule'],
  },
  'functions/api/jobs/cancel-job.ts': {
    execution: ['states:DescribeExecution', 'states:StopExecution'],
    schedule: ['scheduler:GetSchedule', 'scheduler:UpdateSchedule'],
  },
  'functions/api/jobs/delete-job.ts': {
    execution: ['states:DescribeExecution'],
    schedule: ['scheduler:DeleteSchedule'],
  },
};

/** The schedule ARNs the job routes may touch (functions/repositories/schedules.ts names them). */
export function jobScheduleArn(scope: Api): string {
  return Stack.of(scope).formatArn({
    service: 'scheduler',
    resource: 'schedule',
    resourceName: 'default/tidemark-*',
  });
}

/** Each job route's function with what it is granted; infra/nag-suppressions.ts acknowledges the same. */
export function jobRouteGrants(api: Api) {
  return JOB_ROUTES.flatMap((route) => {
    const grants = GRANTS[route.handler];
    // GET /jobs reads the table only.
    if (!grants) return [];
    const fn = api.routeFunctions.get(routeKey(route));
    if (!fn) throw new Error(`no function serves the job route ${routeKey(route)}`);
    return [{ fn, grants }];
  });
}

export function grantJobRoutes(api: Api, props: JobRouteGrantProps): void {
  for (const { fn, grants } of jobRouteGrants(api)) {
    if (grants.start) {
      props.backup.grantStartExecution(fn);
      props.restore.grantStartExecution(fn);
    }
    if (grants.execution.length > 0) {
      props.backup.grantExecution(fn, ...grants.execution);
      props.restore.grantExecution(fn, ...grants.execution);
    }
    if (grants.schedule.length > 0) {
      fn.addToRolePolicy(
        new iam.PolicyStatement({ actions: grants.schedule, resources: [jobScheduleArn(api)] }),
      );
      // Creating or updating a schedule passes its target role.
      if (grants.schedule.some((action) => /Create|Update/.test(action))) {
        props.schedulerRole.grantPassRole(fn.grantPrincipal);
      }
    }
  }
}
