/** The shape of the two synthesized state machines: what local Step Functions and AWS will both execute. */
import { describe, expect, it } from 'vitest';
import { type AslDefinition, type AslState, allStates, definitionOf } from './definition.js';
import { onlyResource, synth } from './synth.js';

const { json } = synth();
const [backupId, backupMachine] = onlyResource(json, 'AWS::StepFunctions::StateMachine', 'WorkflowsBackup');
const [, restoreMachine] = onlyResource(json, 'AWS::StepFunctions::StateMachine', 'WorkflowsRestore');
const backup = definitionOf(backupMachine);
const restore = definitionOf(restoreMachine);

const functionIdOf = (entry: string) => {
  const found = Object.entries(json.Resources).find(
    ([, resource]) =>
      resource.Type === 'AWS::Lambda::Function' && resource.Metadata?.['tidemark:entry'] === entry,
  );
  if (!found) throw new Error(`no function runs ${entry}`);
  return found[0];
};
const DISPATCH = `<${functionIdOf('functions/steps/dispatch-command.ts')}>`;
const WAIT_FOR_TOKEN = /^arn:<.*>:states:::lambda:invoke\.waitForTaskToken$/;

function state(definition: AslDefinition, name: string): AslState {
  const found = allStates(definition).find(([stateName]) => stateName === name);
  if (!found) throw new Error(`no state ${name}`);
  return found[1];
}

describe('state machines', () => {
  it('are two STANDARD machines, traced, logging every event without execution data', () => {
    expect(backupId).toBeDefined();
    for (const machine of [backupMachine, restoreMachine]) {
      expect(machine.Properties).toMatchObject({
        StateMachineType: 'STANDARD',
        TracingConfiguration: { Enabled: true },
        LoggingConfiguration: { Level: 'ALL', IncludeExecutionData: false },
      });
    }
  });

  it('name every state once across the whole definition, Map processors included', () => {
    for (const definition of [backup, restore]) {
      const names = allStates(definition).map(([name]) => name);
      expect(names.length).toBe(new Set(names).size);
    }
  });
});

describe('backup workflow', () => {
  const branch = () => state(backup, 'ForEachScenario').ItemProcessor as AslDefinition;

  it('validates, maps over the scenarios four at a time into $.outcomes, then finishes the job', () => {
    expect(backup.StartAt).toBe('ValidateJob');
    expect(state(backup, 'ValidateJob').Next).toBe('ForEachScenario');
    expect(state(backup, 'ForEachScenario')).toMatchObject({
      ItemsPath: '$.scenarios',
      MaxConcurrency: 4,
      ResultPath: '$.outcomes',
      Next: 'FinishJob',
    });
    expect(branch().StartAt).toBe('PrepareScenario');
    expect(state(backup, 'FinishJob').End).toBe(true);
  });

  it('runs every host step as a waitForTaskToken dispatch to the replica with the scenario timeout', () => {
    for (const name of [
      'SuspendReplica',
      'TestReplica',
      'SnapshotReplica',
      'ResumeReplica',
      'ResumeAfterFailure',
      'ReleaseSnapshots',
    ]) {
      const step = state(backup, name);
      expect(step.Resource).toMatch(WAIT_FOR_TOKEN);
      expect(step.Parameters).toMatchObject({
        FunctionName: DISPATCH,
        Payload: { 'hostId.$': '$.prepared.replicaHostId', 'timeoutSeconds.$': '$.prepared.timeoutSeconds' },
      });
      expect(step.TimeoutSecondsPath).toBe('$.prepared.timeoutSeconds');
    }
    // The backup itself may run long: it heartbeats every agent timeout instead.
    expect(state(backup, 'BackupReplica')).toMatchObject({
      TimeoutSecondsPath: '$.prepared.backupTimeoutSeconds',
      HeartbeatSecondsPath: '$.prepared.timeoutSeconds',
    });
  });

  it('resumes after a failed freeze or snapshot, and releases the lock on every path after it was taken', () => {
    const catchTarget = (name: string) => state(backup, name).Catch?.map((c) => c.Next);
    expect(catchTarget('PrepareScenario')).toEqual(['RejectScenario']);
    for (const name of ['SuspendReplica', 'TestReplica', 'SnapshotReplica']) {
      expect(catchTarget(name)).toEqual(['ResumeAfterFailure']);
    }
    for (const name of ['ResumeReplica', 'AllocateSessions', 'BackupReplica', 'CommitSessions']) {
      expect(catchTarget(name)).toEqual(['ReleaseLockAfterFailure']);
    }
    expect(state(backup, 'ResumeAfterFailure').Next).toBe('ReleaseLockAfterFailure');
    // Retention failing is a warning on the way to the normal release.
    expect(state(backup, 'ReleaseSnapshots').Catch).toEqual([
      { ErrorEquals: ['States.ALL'], Next: 'ReleaseLock', ResultPath: '$.warning' },
    ]);
    expect(state(backup, 'ReleaseSnapshots').Next).toBe('ReleaseLock');
  });
});

describe('restore workflow', () => {
  it('resolves, stops when restoring to the original location, retrieves from Glacier, restores, restarts, finishes', () => {
    expect(restore.StartAt).toBe('ResolveRestore');
    expect(state(restore, 'ResolveRestore').Next).toBe('NeedsStop');
    expect(state(restore, 'StopScenario').Catch?.[0]).toMatchObject({
      Next: 'ContinueWithoutStop',
      ResultPath: '$.stopError',
    });
    expect(state(restore, 'WaitForRetrieval')).toMatchObject({
      Type: 'Wait',
      SecondsPath: '$.retrieval.waitSeconds',
    });
    expect(state(restore, 'RestoreOnHost')).toMatchObject({
      Resource: expect.stringMatching(WAIT_FOR_TOKEN),
      Parameters: {
        Payload: { 'hostId.$': '$.resolved.destinationHostId', 'args.$': '$.resolved.restoreArgs' },
      },
      HeartbeatSecondsPath: '$.resolved.timeoutSeconds',
    });
    expect(state(restore, 'RestoreOnHost').Catch?.[0]?.Next).toBe('RestartAfterFailure');
    expect(state(restore, 'RestoreFailed')).toMatchObject({
      Type: 'Fail',
      ErrorPath: '$.finished.error.code',
      CausePath: '$.finished.error.message',
    });
  });
});
