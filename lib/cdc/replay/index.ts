/** Replaying a DMS S3 target folder into DynamoDB through the change applier, resumably. */
export { replayDmsS3Folder, listFolder, normalisePrefix, BadDmsFileError, CheckpointMismatchError, ReplayStalledError, DEFAULT_REPLAY_BATCH_SIZE } from './replay-dms-s3-folder';
export type { DmsCsvSettings, RejectedChange, ReplayDmsS3FolderOptions, ReplayProgress, ReplayReport, TableReplayReport } from './replay-dms-s3-folder';
export { CheckpointFormatError, FileCheckpointStore, S3CheckpointStore } from './checkpoint';
export type { CheckpointStore, ReplayCheckpoint } from './checkpoint';
export { shopHistory, keyText } from './demo-history';
export type { ShopHistory, ShopHistoryOptions } from './demo-history';
export { DEMO_CSV_SETTINGS, demoDmsFolder } from './demo-folder';
export type { DemoFile, DemoFolderOptions } from './demo-folder';
