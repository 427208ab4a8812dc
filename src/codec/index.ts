export * from './types.ts';
export * from './sentinels.ts';
export * from './errors.ts';
export * from './variant-set.ts';
export {
  RECORD_FORMAT_VERSION,
  RECORD_IDENTIFIER,
  RecordView,
  encodeBlockRecord,
  encodeSampleRecords,
  validateRecordView,
  validateSampleCalls,
  type FieldView,
  VCF_TYPES,
} from './record.ts';
export { gatherCalls, materializeCalls, numericColumn, sliceCalls } from './materialize.ts';
