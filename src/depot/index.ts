export * from './errors.ts';
export { Depot } from './depot.ts';
export { findTraces } from './traces.ts';
export type {
  At,
  CommitInfo,
  PurgeResult,
  CreateOptions,
  DepotStats,
  BeginOptions,
  BlockWriter,
  DepotTransaction,
  StagedTransaction,
  GetOptions,
  OpenOptions,
  SampleInfo,
  SampleInput,
  SampleView,
  VariantSetInfo,
  VariantSetRef,
  WriteOptions,
  VerifyIssue,
  VerifyReport,
} from './types.ts';
export type { ChunkEntry, DepotMeta, FieldStats, LogEntry, Operation, TagEntry } from './layout.ts';
