/**
 * The role EventBridge Scheduler assumes to start scheduled backups. The API
 * creates schedules that name it, so its ARN reaches the route functions.
 */
import { Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';

export interface SchedulerRoleProps {
  backupStateMachine: sfn.IStateMachine;
}

export class SchedulerRole extends Construct {
  readonly role: iam.Role;

  constructor(scope: Construct, id: string, props: SchedulerRoleProps) {
    super(scope, id);
    this.role = new iam.Role(this, 'Role', {
      description: 'Tidemark: EventBridge Scheduler starts scheduled backup jobs',
      // Only schedules of this account may use the role (confused-deputy guard).
      assumedBy: new iam.ServicePrincipal('scheduler.amazonaws.com', {
        conditions: { StringEquals: { 'aws:SourceAccount': Stack.of(this).account } },
      }),
    });
    props.backupStateMachine.grantStartExecution(this.role);
  }
}
