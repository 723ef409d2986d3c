/** The topic job alerts are published to (later issues publish to it); encrypted, TLS-only. */
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as sns from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';

export interface AlertsProps {
  key: kms.IKey;
}

export class Alerts extends Construct {
  readonly topic: sns.Topic;

  constructor(scope: Construct, id: string, props: AlertsProps) {
    super(scope, id);
    this.topic = new sns.Topic(this, 'Topic', {
      displayName: 'Tidemark alerts',
      masterKey: props.key,
      enforceSSL: true,
    });
  }
}
