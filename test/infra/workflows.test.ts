/** The shape of the two synthesized state machines: what local Step Functions and AWS will both execute. */
import { describe, expect, it } from 'vitest';
import { TIMEOUT_ERROR } from '../../workflows/step-errors.js';
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
  it('has the expected states', () => {
    expect(
      allStates(backup)
        .map(([name]) => name)
        .sort(),
    ).toEqual(
      [
        'ValidateJob',
        'ForEachScenario',
        'SuspendReplica',
        'SuspendReplicaTimedOut',
        'SuspendReplicaFailed',
        'SnapshotReplica',
        'SnapshotReplicaTimedOut',
        'SnapshotReplicaFailed',
        'ResumeReplica',
        'ResumeReplicaTimedOut',
        'ResumeReplicaFailed',
        'ResumeAfterFailure',
        'ResumeAfterFailureTimedOut',
        'ResumeAfterFailureFailed',
        'ScenarioCompleted',
        'ScenarioFailed',
        'SummarizeJob',
      ].sort(),
    );
  });

  it('validates, maps over the scenarios four at a time into $.outcomes, then summarizes', () => {
    expect(backup.StartAt).toBe('ValidateJob');
    expect(backup.States.ValidateJob).toMatchObject({
      Type: 'Task',
      Resource: `<${functionIdOf('functions/steps/validate-backup-job.ts')}>`,
      Next: 'ForEachScenario',
    });
    expect(backup.States.ForEachScenario).toMatchObject({
      Type: 'Map',
      ItemsPath: '$.scenarios',
      MaxConcurrency: 4,
      ResultPath: '$.outcomes',
      Next: 'SummarizeJob',
    });
    expect(backup.States.SummarizeJob).toMatchObject({
      Type: 'Task',
      Resource: `<${functionIdOf('functions/steps/summarize-backup-job.ts')}>`,
      Parameters: { 'jobId.$': '$.jobId', 'outcomes.$': '$.outcomes' },
      End: true,
    });
  });

  it('runs suspend, snapshot and resume as waitForTaskToken dispatches to the replica', () => {
    const processor = backup.States.ForEachScenario?.ItemProcessor;
    expect(processor?.StartAt).toBe('SuspendReplica');
    const steps = [
      ['SuspendReplica', 'suspend', 'SnapshotReplica', '$.suspendResult'],
      ['SnapshotReplica', 'snapshot', 'ResumeReplica', '$.snapshotResult'],
      ['ResumeReplica', 'resume', 'ScenarioCompleted', '$.resumeResult'],
      ['ResumeAfterFailure', 'resume', 'ScenarioFailed', '$.resumeResult'],
    ] as const;
    for (const [name, kind, next, resultPath] of steps) {
      const step = state(backup, name);
      expect(step.Resource).toMatch(WAIT_FOR_TOKEN);
      expect(step).toMatchObject({
        Type: 'Task',
        Next: next,
        ResultPath: resultPath,
        TimeoutSecondsPath: '$.timeoutSeconds',
        Parameters: {
          FunctionName: DISPATCH,
          Payload: {
            'hostId.$': '$.replicaHostId',
            kind,
            args: { 'scenarioId.$': '$.scenarioId', 'scenarioName.$': '$.scenarioName' },
            'taskToken.$': '$$.Task.Token',
            'timeoutSeconds.$': '$.timeoutSeconds',
          },
        },
      });
      expect(step.HeartbeatSeconds).toBeUndefined();
    }
  });

  it('resumes the replica when the snapshot fails, and reports every failure as the scenario outcome', () => {
    const targets = (name: string) => (state(backup, name).Catch ?? []).map((c) => [c.ErrorEquals, c.Next]);
    expect(targets('SuspendReplica')).toEqual([
      [['States.Timeout'], 'SuspendReplicaTimedOut'],
      [['States.ALL'], 'SuspendReplicaFailed'],
    ]);
    expect(targets('SnapshotReplica')).toEqual([
      [['States.Timeout'], 'SnapshotReplicaTimedOut'],
      [['States.ALL'], 'SnapshotReplicaFailed'],
    ]);
    expect(state(backup, 'SnapshotReplicaTimedOut').Next).toBe('ResumeAfterFailure');
    expect(state(backup, 'SnapshotReplicaFailed').Next).toBe('ResumeAfterFailure');
    for (const name of ['SuspendReplica', 'ResumeReplica']) {
      expect(state(backup, `${name}TimedOut`).Next).toBe('ScenarioFailed');
      expect(state(backup, `${name}Failed`).Next).toBe('ScenarioFailed');
    }
    // A failed resume after a failed snapshot keeps the snapshot's error as the outcome.
    expect(state(backup, 'ResumeAfterFailure').Catch?.map((c) => c.ResultPath)).toEqual([
      '$.resumeError',
      '$.resumeError',
    ]);
    expect(state(backup, 'ScenarioFailed')).toMatchObject({
      Type: 'Pass',
      Parameters: { 'scenarioId.$': '$.scenarioId', status: 'failed', 'error.$': '$.error' },
      End: true,
    });
    expect(state(backup, 'ScenarioCompleted')).toMatchObject({
      Type: 'Pass',
      Parameters: { 'scenarioId.$': '$.scenarioId', status: 'completed' },
      End: true,
    });
  });

  it('maps a timeout to AE0469 and any other error to {code: Error, message: Cause}', () => {
    expect(state(backup, 'SuspendReplicaTimedOut')).toMatchObject({
      Type: 'Pass',
      Result: TIMEOUT_ERROR,
      ResultPath: '$.error',
    });
    expect(TIMEOUT_ERROR.code).toBe('AE0469');
    expect(state(backup, 'SuspendReplicaFailed')).toMatchObject({
      Type: 'Pass',
      Parameters: { 'code.$': '$.error.Error', 'message.$': '$.error.Cause' },
      ResultPath: '$.error',
    });
  });
});

describe('restore workflow', () => {
  it('validates, restores on the destination host and succeeds, or fails with the code', () => {
    expect(restore.StartAt).toBe('ValidateRestore');
    expect(Object.keys(restore.States).sort()).toEqual(
      [
        'ValidateRestore',
        'ValidateRestoreFailed',
        'RestoreOnHost',
        'RestoreOnHostTimedOut',
        'RestoreOnHostFailed',
        'RestoreSucceeded',
        'RestoreFailed',
      ].sort(),
    );
    expect(restore.States.ValidateRestore).toMatchObject({
      Resource: `<${functionIdOf('functions/steps/validate-restore-job.ts')}>`,
      Next: 'RestoreOnHost',
    });
    const restoreOnHost = state(restore, 'RestoreOnHost');
    expect(restoreOnHost.Resource).toMatch(WAIT_FOR_TOKEN);
    expect(restoreOnHost).toMatchObject({
      Next: 'RestoreSucceeded',
      TimeoutSecondsPath: '$.timeoutSeconds',
      Parameters: {
        FunctionName: DISPATCH,
        Payload: {
          'hostId.$': '$.hostId',
          kind: 'restore',
          args: { 'sessionId.$': '$.sessionId', 'destination.$': '$.destination', 'jobId.$': '$.jobId' },
          'taskToken.$': '$$.Task.Token',
          'timeoutSeconds.$': '$.timeoutSeconds',
        },
      },
    });
    expect(state(restore, 'RestoreSucceeded').Type).toBe('Succeed');
    expect(state(restore, 'RestoreFailed')).toMatchObject({
      Type: 'Fail',
      ErrorPath: '$.error.code',
      CausePath: '$.error.message',
    });
    for (const name of ['ValidateRestoreFailed', 'RestoreOnHostTimedOut', 'RestoreOnHostFailed']) {
      expect(state(restore, name).Next).toBe('RestoreFailed');
    }
  });
});
