/**
 * The Zarr writer: one store (directory or zip) in Zarr format 2 or 3 with
 * zarr-python's metadata bytes (./store.ts, ./metadata.ts), Blosc-1 frames
 * with zstd (./blosc.ts, ./shuffle.ts) encoded by the main thread and worker
 * threads alike (./chunk-encoder.ts, ./pool.ts, ./encode-worker.ts), vlen-utf8 strings (./vlen-utf8.ts),
 * the node names it can write (./names.ts) and its errors (./errors.ts).
 * Knows nothing of VCF: src/vcz builds VCF Zarr on top of it.
 */
export {
  BLOSC_BITSHUFFLE,
  BLOSC_HEADER_SIZE,
  BLOSC_MAX_BUFFERSIZE,
  BLOSC_NOSHUFFLE,
  BLOSC_SHUFFLE,
  BloscEncoder,
  bloscBlocksize,
  bloscDecode,
  bloscEncode,
  bloscHeader,
  bloscZstdLevel,
  type BloscEncodeOptions,
  type BloscHeader,
  type BloscShuffle,
} from './blosc.ts';
export { bitShuffle, bitUnshuffle, byteShuffle, byteUnshuffle } from './shuffle.ts';
export {
  arrayMetadata,
  arrayMetadataDocuments,
  chunkKey,
  consolidatedMetadata,
  groupMetadata,
  JsonFloat,
  pythonJson,
  pythonJsonCompact,
  type ZarrArraySpec,
  type ZarrCompressor,
  type ZarrDtype,
} from './metadata.ts';
export { defaultThreads, EncoderPool, IN_FLIGHT_BYTES_PER_WORKER, MIN_IN_FLIGHT_PER_WORKER, MIN_WORKER_CHUNK_BYTES, startWorker, workerEntry, type WorkerEntry } from './pool.ts';
export { ChunkEncoder, type ChunkCodec } from './chunk-encoder.ts';
export { ZarrStoreWriter, zipStream, type ChunkData, type ZarrArrayHandle, type ZarrStoreBackend, type ZarrStoreOptions, type ZarrStoreSummary } from './store.ts';
export { VlenUtf8Encoder, vlenUtf8Decode, vlenUtf8Encode } from './vlen-utf8.ts';
export { MAX_NAME_SEGMENT_BYTES, zarrNameProblem } from './names.ts';
export * from './errors.ts';
export { checkS3Target, fetchFromS3, isS3StoreError, isS3Url, parseS3Url, publishStoreToS3, s3Client, S3_CONCURRENCY, S3_MAX_ATTEMPTS, S3_PART_BYTES, S3_PART_CONCURRENCY, S3_QUEUE_BYTES, S3_UPLOAD_MARKER, S3StoreError, S3StoreUpload, uploadStream, type S3Location, type S3PublishSummary, type S3UploadOptions } from './s3.ts';
