// Package replay holds transitions for off-policy learning: a preallocated
// float32 ring buffer, batches sampled into caller-owned memory without
// allocating, and a Mixed sampler that fills one batch from two sources at
// a fixed ratio (offline ∪ online data, real ∪ imagined data).
//
// A Batch's Done column is 1 only for true terminations; a time-limit
// truncation still bootstraps, so it is stored as 0 (Gymnasium semantics).
// Buffers save and restore their exact contents and position as checkpoint
// tensors, so a resumed run samples the same batches; Save and Load do the
// same to a standalone checksummed file written atomically.
//
// Offline data enters with FromDataset or AddDataset (with the dataset's
// Monte-Carlo returns for Cal-QL, from dataset.MCReturns), online data with
// Add, AddMC or AddBatch; when an online episode ends, Recent and SetRecentMC
// fill its Monte-Carlo returns (dataset.EpisodeMCReturns).
package replay
