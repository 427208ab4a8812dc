export * from './errors.ts';
export {
  Depot,
  type At,
  type CommitInfo,
  type CreateOptions,
  type DepotStats,
  type BeginOptions,
  type BlockWriter,
  type DepotTransaction,
  type StagedTransaction,
  type GetOptions,
  type OpenOptions,
  type SampleInfo,
  type SampleInput,
  type SampleView,
  type WriteOptions,
  type VerifyIssue,
  type VerifyReport,
} from './depot.ts';
export type { ChunkEntry, DepotMeta, FieldStats, LogEntry, Operation, TagEntry } from './layout.ts';
