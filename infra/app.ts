/** The CDK app `cdk synth` and `cdk deploy` run (see cdk.json). */
import { buildApp } from './build-stack.js';

buildApp().app.synth();
