/**
 * A backup in its own process, for the kill -9 tests: prints `PACK <id>` as
 * each pack becomes durable and writes the commit marker only when the
 * catalog commit callback runs. The repository is `repoName` in the S3
 * bucket `bucket`, or the local directory `<dir>` when `bucket` is
 * `file:<dir>`.
 */
import { writeFile } from 'node:fs/promises';
import { runBackup } from '../../../agent/backup/backup.js';
import { DirectoryView } from '../../../agent/backup/directory-view.js';
import { KmsKeyWrapper } from '../../../agent/backup/key-wrapper.js';
import { openRepository } from '../../../agent/backup/repository.js';
import { LocalDirectoryStorage } from '../../../agent/backup/storage-local.js';
import { S3Storage } from '../../../agent/backup/storage-s3.js';

const [bucket, repoName, kmsKeyId, source, marker] = process.argv.slice(2) as [
  string,
  string,
  string,
  string,
  string,
];
const storage = bucket.startsWith('file:')
  ? new LocalDirectoryStorage(bucket.slice('file:'.length))
  : new S3Storage({ bucket, repo: repoName });
const repo = await openRepository(storage, new KmsKeyWrapper(kmsKeyId));
await runBackup({
  repo,
  view: new DirectoryView(),
  sources: [{ viewPath: source, masterPath: '/data' }],
  masterHost: 'master-1',
  packSize: 5 * 1024 * 1024,
  uploads: 1,
  onPack: (id) => console.log(`PACK ${id}`),
  commit: async (manifest) => writeFile(marker, manifest.session),
});
